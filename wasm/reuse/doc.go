// Package reuse turns recorded settings into what the page restores: the settings of a gallery
// image ("use these settings again") or of a PNG the product wrote that a person drops on the
// generate panel (the page's downloads, cones generate's output). A file is checked whole before
// anything is restored, so a file that cannot be used changes nothing; the subjects it names by
// their residual's hash are looked up in the library, and the message says which words it needs
// and which of those residuals the library has. Plain data, no browser: tested natively and as
// wasm.
package reuse
