// Package generation is the page's side of one generation, kept out of the DOM code so it is
// tested natively: the form's settings, the editor's layout and the library subjects the
// prompt names go through the shared request builder (cones/request), the same path
// `cones generate` takes to the server's engine, and come back as what the WebGPU engine
// consumes plus the settings record the gallery keeps with the image.
package generation
