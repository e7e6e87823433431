// Package headless starts Debian's Chromium headless with WebGPU on SwiftShader (or the host's GPU),
// serves wasm binaries, wasm_exec.js and model folders to it over HTTP, and runs Go programs
// compiled to wasm inside a page. It is the harness of the end-to-end tests and of `cones benchgpu`:
// it sits outside the prompt -> pixels pipeline and drives the browser engine (webgpu/) from native Go.
package headless
