// Package gradcheck compares GoMLX reverse-mode gradients with central finite differences. It
// backs the engine's promise that every block differentiates on the simplego backend (the
// subject trainer backpropagates through the UNet into the text encoder).
package gradcheck
