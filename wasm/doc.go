//go:build js && wasm

// Command wasm is the page's logic, compiled to WebAssembly: it binds the HTML of ui/ to the
// pipeline. The person types a prompt (tokens, marked subject words), draws the layout, picks
// subjects from a library kept in IndexedDB, and asks for an image; the page hands prompt,
// residuals and layout to the engine (text embedding + residuals -> denoising loop with layout
// guidance -> VAE -> pixels on the GPU), shows per-step progress with a latent preview, and keeps
// the results in a gallery. The model files are saved to Cache Storage and verified against the
// model's manifest so the page works offline (the service worker in ui/sw.js serves them).
//
// The pure logic lives in subpackages tested natively: editor (layout geometry), settings,
// pngtext, library. The files here only touch the DOM and browser APIs.
package main
