package wgsl

import (
	"fmt"
	"math"
)

// MaxFlashHeadDim is the widest head attention.wgsl handles (each thread holds a query row and an
// output row of this many floats); wider heads (the VAE's) go through matmul + softmax in chunks.
const MaxFlashHeadDim = 256

// Attention is the online-softmax attention family (attention.wgsl).
type Attention struct {
	DMax   uint32 // head width rounded up to 16 (sizes the per-thread rows)
	Causal bool   // mask keys after the query
	Edit   bool   // Cones 2 layout edit on the raw scores of one sample
}

// NewAttention returns the variant for heads of width dh.
func NewAttention(dh int, causal, edit bool) (Attention, error) {
	if dh <= 0 || dh > MaxFlashHeadDim || dh%4 != 0 {
		return Attention{}, fmt.Errorf("wgsl: attention: head width %d is not a multiple of 4 in 4..%d", dh, MaxFlashHeadDim)
	}
	return Attention{DMax: uint32((dh + 15) / 16 * 16), Causal: causal, Edit: edit}, nil
}

// AttentionParams mirrors struct Params in attention.wgsl.
type AttentionParams struct {
	Heads, Tq, Tk, Dh   uint32
	QOff, QB, QT        uint32
	KOff, KB, KT        uint32
	VOff, VB, VT        uint32
	OOff, OB, OT        uint32
	Scale               float32
	Batch               uint32
	WOff, WQ, EditBatch uint32
	CoefIdx, StdIdx     uint32
}

func (Attention) Family() string { return "attention" }

// keyTile is how many keys share workgroup memory: K and V tiles fit WebGPU's default 16 KiB.
func (k Attention) keyTile() uint32 { return max(1, min(32, 2048/k.DMax)) }

func (k Attention) Bindings() []Binding {
	b := []Binding{{Name: "q", Type: F32}, {Name: "k", Type: F32}, {Name: "v", Type: F32}}
	if k.Edit {
		b = append(b, Binding{Name: "wmap", Type: F32}, Binding{Name: "scal", Type: F32})
	}
	return append(b, Binding{Name: "o", Type: F32, Write: true})
}

func (k Attention) Source() (string, error) {
	if k.DMax == 0 || k.DMax%16 != 0 || k.DMax > MaxFlashHeadDim {
		return "", fmt.Errorf("wgsl: attention: bad DMax %d", k.DMax)
	}
	out := 4
	if k.Edit {
		out = 6
	}
	return Expand("attention.wgsl", Defines{"DMAX": k.DMax, "KT": k.keyTile(), "CAUSAL": k.Causal,
		"EDIT": k.Edit, "OUT_BINDING": out})
}

func (k Attention) Grid(pa any) ([3]uint32, error) {
	p, err := paramsAs[AttentionParams](k.Family(), pa)
	if err != nil {
		return [3]uint32{}, err
	}
	if p.Dh > k.DMax || p.Dh == 0 || p.Dh%4 != 0 {
		return [3]uint32{}, fmt.Errorf("wgsl: attention: head width %d does not fit variant %d", p.Dh, k.DMax)
	}
	return checkGrid(k.Family(), [3]uint32{ceilDiv(p.Tq, 64), 1, p.Batch * p.Heads})
}

func (Attention) FLOPs(pa any) float64 {
	p, _ := pa.(AttentionParams)
	return 4 * float64(p.Batch*p.Heads) * float64(p.Tq) * float64(p.Tk) * float64(p.Dh)
}

func (k Attention) Ref(pa any, args []Mem) error {
	p, err := paramsAs[AttentionParams](k.Family(), pa)
	if err != nil {
		return err
	}
	if err := checkArgs(k.Family(), k.Bindings(), args); err != nil {
		return err
	}
	q, kk, v, o := args[0], args[1], args[2], args[len(args)-1]
	s := make([]float64, p.Tk)
	for b := range p.Batch {
		coef := 0.0
		if k.Edit && b == p.EditBatch {
			coef = float64(args[4].F[p.CoefIdx]) * float64(args[4].F[p.StdIdx])
		}
		for h := range p.Heads {
			for qi := range p.Tq {
				qb := p.QOff + b*p.QB + qi*p.QT + h*p.Dh
				n := p.Tk
				if k.Causal {
					n = min(p.Tk, qi+1)
				}
				mx := math.Inf(-1)
				for j := range n {
					kb := p.KOff + b*p.KB + j*p.KT + h*p.Dh
					var dot float64
					for d := range p.Dh {
						dot += float64(q.F[qb+d]) * float64(kk.F[kb+d])
					}
					if coef != 0 {
						dot += coef * float64(args[3].F[p.WOff+qi*p.WQ+j])
					}
					s[j] = dot * float64(p.Scale)
					mx = max(mx, s[j])
				}
				var sum float64
				for j := range n {
					s[j] = math.Exp(s[j] - mx)
					sum += s[j]
				}
				ob := p.OOff + b*p.OB + qi*p.OT + h*p.Dh
				for d := range p.Dh {
					var acc float64
					for j := range n {
						acc += s[j] * float64(v.F[p.VOff+b*p.VB+j*p.VT+h*p.Dh+d])
					}
					o.F[ob+d] = float32(acc / sum)
				}
			}
		}
	}
	return nil
}
