package noise

import "math"

// Generator is the seeded Source: the n-th number of seed s is a pure function of (s, n), the
// same on every platform. Normal i is taken from Philox block i/2 under key s: the block's two
// 64-bit halves become two uniforms, and Box–Muller turns them into a cosine and a sine normal.
type Generator struct {
	key [2]uint32
	pos uint64 // index of the next normal
}

// New returns a Generator for seed, positioned at its first number.
func New(seed uint64) *Generator {
	return &Generator{key: [2]uint32{uint32(seed), uint32(seed >> 32)}}
}

// Normal fills dst with the next len(dst) standard-normal numbers. It never fails.
func (g *Generator) Normal(dst []float32) error {
	for i := range dst {
		dst[i] = g.At(g.pos + uint64(i))
	}
	g.pos += uint64(len(dst))
	return nil
}

// Position returns the index of the next number Normal will produce.
func (g *Generator) Position() uint64 { return g.pos }

// Seek moves to the n-th number of the stream, so that a run can be resumed or split.
func (g *Generator) Seek(n uint64) { g.pos = n }

// At returns the n-th standard-normal number of the stream without moving the position.
func (g *Generator) At(n uint64) float32 {
	block := n / 2
	b := philox([4]uint32{uint32(block), uint32(block >> 32), 0, 0}, g.key)
	// u1 in (0, 1] so that log(u1) is finite; u2 in [0, 1). 53 bits each: exact in float64.
	u1 := float64((uint64(b[0])<<32|uint64(b[1]))>>11+1) * 0x1p-53
	u2 := float64((uint64(b[2])<<32|uint64(b[3]))>>11) * 0x1p-53
	r := math.Sqrt(-2 * logDet(u1))
	sin, cos := sinCosTurn(u2)
	if n%2 == 0 {
		return float32(float64(r * cos))
	}
	return float32(float64(r * sin))
}
