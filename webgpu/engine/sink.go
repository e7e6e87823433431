package engine

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/cones2web/cones2/weights"
	"github.com/cones2web/cones2/wgsl"
	"github.com/x448/float16"
)

// converter turns whole elements of a file dtype into the storage dtype; nil means the bytes are
// stored as they come.
type converter struct {
	in, out int // bytes per element
	fn      func(dst, src []byte)
}

// conversion returns how file dtype from becomes storage dtype to.
func conversion(from weights.DType, to wgsl.DType) (*converter, error) {
	switch {
	case from == weights.F32 && to == wgsl.F32, from == weights.F16 && to == wgsl.F16:
		return nil, nil
	case from == weights.F32 && to == wgsl.F16:
		return &converter{4, 2, func(dst, src []byte) {
			for i := 0; i < len(src)/4; i++ {
				h := float16.Fromfloat32(math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))).Bits()
				binary.LittleEndian.PutUint16(dst[2*i:], h)
			}
		}}, nil
	case from == weights.F16 && to == wgsl.F32:
		return &converter{2, 4, func(dst, src []byte) {
			for i := 0; i < len(src)/2; i++ {
				f := float16.Frombits(binary.LittleEndian.Uint16(src[2*i:])).Float32()
				binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(f))
			}
		}}, nil
	case from == weights.BF16 && to == wgsl.F32:
		return &converter{2, 4, func(dst, src []byte) {
			for i := 0; i < len(src)/2; i++ {
				binary.LittleEndian.PutUint32(dst[4*i:], uint32(binary.LittleEndian.Uint16(src[2*i:]))<<16)
			}
		}}, nil
	case from == weights.BF16 && to == wgsl.F16:
		return &converter{2, 2, func(dst, src []byte) {
			for i := 0; i < len(src)/2; i++ {
				f := math.Float32frombits(uint32(binary.LittleEndian.Uint16(src[2*i:])) << 16)
				binary.LittleEndian.PutUint16(dst[2*i:], float16.Fromfloat32(f).Bits())
			}
		}}, nil
	}
	return nil, fmt.Errorf("cannot store %s weights as %s", from, to)
}

// converting is the part of a weight stream that goes through Go: whole elements are converted
// into a bounded staging buffer that is flushed in multiples of 4 bytes (WebGPU's writeBuffer rule).
type converting struct {
	conv    *converter
	carry   []byte // a partial input element
	stage   []byte // converted, not yet written
	written int    // output bytes flushed
	flush   func(off int, b []byte) error
}

// stageLimit bounds the Go-side staging of converted weights.
const stageLimit = 1 << 20

func (c *converting) write(p []byte) error {
	if len(c.carry) > 0 {
		need := c.conv.in - len(c.carry)
		if len(p) < need {
			c.carry = append(c.carry, p...)
			return nil
		}
		c.carry = append(c.carry, p[:need]...)
		p = p[need:]
		if err := c.convert(c.carry); err != nil {
			return err
		}
		c.carry = c.carry[:0]
	}
	whole := len(p) / c.conv.in * c.conv.in
	for len(p[:whole]) > 0 {
		n := min(whole, stageLimit/c.conv.out*c.conv.in)
		if err := c.convert(p[:n]); err != nil {
			return err
		}
		p, whole = p[n:], whole-n
	}
	c.carry = append(c.carry, p...)
	return nil
}

func (c *converting) convert(src []byte) error {
	n := len(src) / c.conv.in * c.conv.out
	at := len(c.stage)
	c.stage = append(c.stage, make([]byte, n)...)
	c.conv.fn(c.stage[at:], src)
	if len(c.stage) >= stageLimit {
		return c.drain(false)
	}
	return nil
}

// drain writes the staged bytes (all of them, zero-padded to 4, when final).
func (c *converting) drain(final bool) error {
	n := len(c.stage) &^ 3
	if final {
		if len(c.carry) != 0 {
			return fmt.Errorf("%d bytes of a partial element at the end", len(c.carry))
		}
		for len(c.stage)%4 != 0 {
			c.stage = append(c.stage, 0)
		}
		n = len(c.stage)
	}
	if n == 0 {
		return nil
	}
	if err := c.flush(c.written, c.stage[:n]); err != nil {
		return err
	}
	c.written += n
	c.stage = append(c.stage[:0], c.stage[n:]...)
	return nil
}
