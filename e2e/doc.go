// Package e2e holds the end-to-end tests of the browser engine: they build Go packages for
// js/wasm, run them in headless Chromium with WebGPU on SwiftShader (one browser for the whole
// run), and compare the engine's text encoder, UNet, Cones 2 UNet, VAE decoder and full layout
// sampling runs with the reference fixtures. Without Chromium the tests fail with an install hint
// unless CONES_SKIP_BROWSER=1.
//
// Stage: all of them, from tokens to pixels, as the page runs them.
package e2e
