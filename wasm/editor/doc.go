// Package editor is the geometry of the page's layout editor: the boxes a person draws on a canvas
// the size of the output image to say where each subject goes. It sits before the denoising loop
// with layout guidance: its boxes become the layout whose regions get their subject's attention
// raised. Everything here is plain arithmetic on image-relative coordinates (0..1), so it is
// unit-tested natively; the canvas, pointer and keyboard events are wired in package main.
package editor
