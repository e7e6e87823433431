// Package nn holds the GoMLX building blocks of the server's reference engine, shared by the
// text encoder (text embedding stage), the UNet (denoising stage) and the VAE (latents to
// pixels): linear and convolution layers, group and layer normalisation, activations, attention
// (plain and Cones 2 layout-guided) and the sinusoidal timestep embedding.
//
// Conventions: images are channels-last ([batch, height, width, channels]) and sequences are
// [batch, length, width], so that every layer works on the last axis; parameters keep the
// diffusers layout and names (conv kernels [out, in, kh, kw], linear weights [out, in]) and are
// passed in as nodes by the model package that walks the model description.
//
// Every block is differentiable on the pure-Go simplego backend, which lacks Pad, Reverse and
// DynamicSlice (so the built-in gradients of Slice and ConvGeneral fail there) and has no
// gradient for Rsqrt: convolutions are windows gathered into columns plus one DotGeneral, and
// normalisations divide by Sqrt. The same graphs run unchanged on XLA.
package nn
