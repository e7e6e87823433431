//go:build js && wasm

// Command wasm is the page's logic, compiled to WebAssembly: it binds the HTML of ui/ to the
// pipeline. The person types a prompt (tokens, marked subject words), draws the layout, picks
// subjects from a library kept in IndexedDB, and asks for an image; the page hands prompt,
// residuals and layout to the engine (text embedding + residuals -> denoising loop with layout
// guidance -> VAE -> pixels on the GPU), shows per-step progress with a latent preview, and keeps
// the results in a gallery. The model files are saved to Cache Storage and verified against the
// model's manifest so the page works offline (the service worker in ui/sw.js serves them).
//
// The pure logic lives in packages tested natively: editor (layout geometry), prompt, library,
// generation (the form, layout and library subjects through the shared request builder,
// cones/request, the same path the server's engine takes), and cones/settings and
// cones/pngtext. The files here only touch the DOM and browser APIs.
package main
