// Package offline is the bookkeeping of the model's offline copy: which Cache Storage entry holds
// which file of the model folder, and whether each downloaded file is the one the model's
// manifest lists (size and SHA-256, checked while it streams in). It serves every stage of the
// pipeline that needs weights (text encoder, UNet, VAE) and the tokenizer before it: the page
// saves the whole model folder once, verified, and the service worker (ui/sw.js) answers the
// engine's Range requests from that copy. The names here must match ui/sw.js.
package offline
