// Package ui holds the page a person uses: HTML, CSS and the few lines of JavaScript the browser
// demands (the wasm loader glue and the service worker). It is the last stage of prompt → pixels:
// where the prompt, layout and subjects come in and the picture goes out. The Go server embeds
// these files; the logic behind them is Go compiled to wasm (package wasm).
package ui

import "embed"

// Files is the app shell served at the site root.
//
//go:embed index.html style.css sw.js main.js
var Files embed.FS
