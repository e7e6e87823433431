package engine

import (
	"github.com/cones2web/cones2/cones/noise"
	"github.com/cones2web/cones2/cones/schedule"
)

// LoadProgress reports weight download progress in bytes of the tensors fetched.
type LoadProgress struct {
	Component   string // text_encoder, unet or vae
	Done, Total int64
}

// Residual is one subject's Cones 2 residual: added to the conditional text embedding at token
// position Token (0 is <|startoftext|>).
type Residual struct {
	Token  int
	Vector []float32
}

// Request is one image generation.
type Request struct {
	Width, Height int   // pixels; multiples of 8 × the UNet's downsampling (64 for SD)
	Prompt        []int // token ids of the prompt, padded to the text encoder's length (77)
	Negative      []int // token ids of the unconditional prompt (usually ""), same length
	Residuals     []Residual
	// Grids are the layout weight maps by cross-attention query length ([queries, 77] each),
	// as cones/request builds them for this size: one for every grid of the UNet (nil: no
	// layout guidance).
	Grids          map[int][]float32
	Steps          int
	GuidanceSteps  int     // leading steps with layout guidance and self-recurrence
	GuidanceWeight float64 // strength of the attention edit (official default 0.08)
	CFGScale       float64 // classifier-free guidance (7.5)
	// Scheduler is the sampler (its config decides epsilon or v-prediction).
	Scheduler schedule.Scheduler
	// Noise draws the initial latent and the self-recurrence noise (noise.New(seed), or a replay).
	Noise noise.Source
	// OnStep is called after every denoising step (Step counts from 0) with the latents.
	OnStep func(step, total int, latents []float32)
}

// Result is a generated image.
type Result struct {
	Width, Height int
	RGBA          []byte    // Width*Height*4 bytes, row-major
	Latents       []float32 // the final latents [channels, H/8, W/8]
}

// Counts is what the engine has done on the GPU since it was loaded: the work-once checks
// (tests) and the benchmarks read it.
type Counts struct {
	Runs       int // programs submitted (one UNet evaluation, one text encoding, ...)
	Dispatches int // kernel dispatches recorded by those runs
	// TextKV counts the dispatches that projected the text embedding to cross-attention keys
	// or values: once per generation, none in a UNet evaluation of a generation.
	TextKV     int
	Guided     int // dispatches only guided steps run (score statistics)
	BindGroups int // bind groups created (one per prepared dispatch)
	// DecoderBindGroups are those of the VAE decoder's programs (decoder, pixels, tile
	// blends), which every decode builds and releases: their buffers are only held while
	// decoding (gpugraph.Memory.Peak counts on it). Every other program is built once per shape.
	DecoderBindGroups int
	Pipelines         int // compute pipelines compiled
}
