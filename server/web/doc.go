// Package web is the product's HTTP server: it serves the app shell (HTML, CSS, the Go program
// compiled to wasm and its loader), the model folder the browser streams its weights from, and the
// server's API. It sits outside the prompt → pixels pipeline: it delivers the pieces the browser runs.
//
// Static files are minified and compressed once at start-up and addressed by content hash, so
// they can be cached for a year; the model folder is served with Range and ETag support so the
// browser can fetch tensors piecewise and resume.
package web
