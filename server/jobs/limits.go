package jobs

import (
	"time"

	"github.com/cones2web/cones2/server/subject"
)

// Limits bound what one request may ask of the server, and what all of them together may.
type Limits struct {
	MinImages, MaxImages int
	Image                subject.ImageLimits
	MaxSteps             int
	MaxResolution        int
	// DecodeBytes is the server-wide memory photos may hold while they are decoded, by uploads
	// and training jobs together (each photo's estimate, subject.Header.DecodeCost, is granted
	// before its pixels are decoded). DecodeWait is how long a request waits for its share
	// before it is refused with 503 and Retry-After.
	DecodeBytes int64
	DecodeWait  time.Duration
}

// DefaultMemoryBudget is a server's memory budget unless told otherwise; DefaultDecodeWait how
// long a request waits for decoding memory.
const (
	DefaultMemoryBudget = 1 << 30
	DefaultDecodeWait   = 5 * time.Second
)

// DecodeShare is the part of a server's memory budget given to decoding photos: 3/8. Go's
// collector lets the heap grow to about twice the live data before it collects, and the rest
// of the server (assets, the model description, buffers) needs room too.
func DecodeShare(budget int64) int64 { return budget * 3 / 8 }

// DefaultLimits: 3 to 10 photos (the paper uses 3 to 5) of at most 25 MB, 8192 px a side and
// 40 megapixels each; at most 10,000 steps at up to 1024 px; decodes within 3/8 of a 1 GiB
// budget, waiting at most 5 s for it.
func DefaultLimits() Limits {
	return Limits{MinImages: 3, MaxImages: 10, Image: subject.DefaultImageLimits(), MaxSteps: 10000, MaxResolution: 1024,
		DecodeBytes: DecodeShare(DefaultMemoryBudget), DecodeWait: DefaultDecodeWait}
}

// maxRequestBytes bounds a whole upload: every photo at its limit plus room for the fields.
func (l Limits) maxRequestBytes() int64 { return int64(l.MaxImages)*l.Image.MaxBytes + 1<<20 }
