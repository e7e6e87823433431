// Package train is the page's "New subject" flow without the DOM: the training server's API as
// the page reads it (info, jobs, errors), the checks made before photos are uploaded, and the
// sentences that tell a person where their job is (queued, step, loss, time left). Training
// itself runs on the server (server/jobs); its residual lands in the subject library, the
// "+ residuals" of prompt -> tokens -> text embedding (+ residuals) -> ... -> pixels.
//
// Pure Go, tested natively; wasm/trainview.go binds it to the page.
package train
