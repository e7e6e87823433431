package jobs

import "github.com/cones2web/cones2/server/subject"

// Limits bound what one request may ask of the server.
type Limits struct {
	MinImages, MaxImages int
	Image                subject.ImageLimits
	MaxSteps             int
	MaxResolution        int
}

// DefaultLimits: 3 to 10 photos (the paper uses 3 to 5) of at most 25 MB, 8192 px a side and
// 40 megapixels each; at most 10,000 steps at up to 1024 px.
func DefaultLimits() Limits {
	return Limits{MinImages: 3, MaxImages: 10, Image: subject.DefaultImageLimits(), MaxSteps: 10000, MaxResolution: 1024}
}

// maxRequestBytes bounds a whole upload: every photo at its limit plus room for the fields.
func (l Limits) maxRequestBytes() int64 { return int64(l.MaxImages)*l.Image.MaxBytes + 1<<20 }
