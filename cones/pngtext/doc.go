// Package pngtext reads and writes the text chunks (tEXt) of PNG files. It is the last step after
// pixels: the page and `cones generate` embed the generation settings in every image they write,
// and the page reads them back when such an image is dropped on the page, so "use these settings again" works
// from a file as well as from the gallery.
package pngtext
