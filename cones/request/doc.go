// Package request is the one path from what a person asks for to what an engine consumes:
// the prompt, the subjects' residuals, the layout and the settings, resolved against the
// tokenizer and the loaded model into the padded token ids, every residual row at its token
// (the i-th row at the i-th token of every occurrence of the subject's word, the official
// rule), the layout's weight map of every cross-attention grid, and the sampler. The server's
// engine (server/engine/generate), the page (wasm/) and the browser tests' harness (e2e/harness)
// all build their requests here, so both engines are conditioned the same way on the same
// request.
//
// It is plain Go on small data (no engine, no GPU), built for the server and for js/wasm.
package request
