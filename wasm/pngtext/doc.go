// Package pngtext reads and writes the text chunks (tEXt) of PNG files. It is the last step after
// pixels: the page embeds the generation settings in every image it lets a person download, and
// reads them back when such an image is dropped on the page, so "use these settings again" works
// from a file as well as from the gallery.
package pngtext
