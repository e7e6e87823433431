// Package dotgrad makes training on GoMLX practical: it registers a gradient of DotGeneral
// (every matrix product, hence every linear layer, attention and convolution of the text encoder,
// UNet and VAE) that is two DotGenerals, in place of GoMLX v0.26.0's, which multiplies
// broadcast operands into a tensor of batch × rows × columns × contracted size and sums it (on
// simplego a 3x3 convolution's gradient at 8x8 with 128 channels materialised 75 M values per
// step). The gradient is the same; only its cost changes.
//
// It serves the training stages (pretraining and the subject trainer's backpropagation through
// the frozen UNet into the text encoder); inference graphs are unaffected.
package dotgrad
