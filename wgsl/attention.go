package wgsl

import (
	"fmt"
	"math"
	"strings"
)

// MaxFlashHeadDim is the widest head attention.wgsl handles (each thread holds a query row and an
// output row of this many floats); wider heads (the VAE's) go through matmul + softmax in chunks.
const MaxFlashHeadDim = 256

// Attention is the online-softmax attention family (attention.wgsl).
type Attention struct {
	Dh     uint32 // head width (a multiple of 4); the staged variant sizes its rows by dmax
	Causal bool   // mask keys after the query
	Edit   bool   // Cones 2 layout edit on the raw scores of one sample
	// Unrolled holds the rows in named registers and scores four keys at a time: the variant for
	// CPU adapters (ForCPU), for heads of Dh <= MaxUnrolledHeadDim. Same grid and results.
	Unrolled bool
}

// MaxUnrolledHeadDim is the widest head the unrolled variant takes (Stable Diffusion's 64: a
// query row and an output row of 16 vec4 registers each).
const MaxUnrolledHeadDim = 64

// NewAttention returns the variant for heads of width dh.
func NewAttention(dh int, causal, edit bool) (Attention, error) {
	if dh <= 0 || dh > MaxFlashHeadDim || dh%4 != 0 {
		return Attention{}, fmt.Errorf("wgsl: attention: head width %d is not a multiple of 4 in 4..%d", dh, MaxFlashHeadDim)
	}
	return Attention{Dh: uint32(dh), Causal: causal, Edit: edit}, nil
}

// dmax is the head width rounded up to 16: the size of the staged variant's per-thread rows.
func (k Attention) dmax() uint32 { return (k.Dh + 15) / 16 * 16 }

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
func (k Attention) keyTile() uint32 { return max(1, min(32, 2048/k.dmax())) }

func (k Attention) Bindings() []Binding {
	b := []Binding{{Name: "q", Type: F32}, {Name: "k", Type: F32}, {Name: "v", Type: F32}}
	if k.Edit {
		b = append(b, Binding{Name: "wmap", Type: F32}, Binding{Name: "scal", Type: F32})
	}
	return append(b, Binding{Name: "o", Type: F32, Write: true})
}

func (k Attention) Source() (string, error) {
	if k.Dh == 0 || k.Dh%4 != 0 || k.Dh > MaxFlashHeadDim || (k.Unrolled && k.Dh > MaxUnrolledHeadDim) {
		return "", fmt.Errorf("wgsl: attention: head width %d (unrolled %v) is not a multiple of 4 up to %d, or %d unrolled",
			k.Dh, k.Unrolled, MaxFlashHeadDim, MaxUnrolledHeadDim)
	}
	out := 4
	if k.Edit {
		out = 6
	}
	defs := Defines{"DMAX": k.dmax(), "KT": k.keyTile(), "CAUSAL": k.Causal, "EDIT": k.Edit, "OUT_BINDING": out,
		"UNROLLED": k.Unrolled}
	if k.Unrolled {
		for name, code := range unrolledAttention(int(k.Dh / 4)) {
			defs[name] = code
		}
	}
	return Expand("attention.wgsl", defs)
}

// unrolledAttention generates the per-vec4 statements of the unrolled variant for heads of d4
// vec4s: the query row and zeroed output row (Q_ROW), the score of the key whose staged row
// starts at rI (DOT_RI), the output update with four keys' weights e4 (ACC4) or one key's e
// (ACC1), and the store (STORE).
func unrolledAttention(d4 int) Defines {
	var qrow, acc4, acc1, store strings.Builder
	dots := make([][]string, 4)
	for d := range d4 {
		fmt.Fprintf(&qrow, "  let q%d = vec4<f32>(q[qb + %du], q[qb + %du], q[qb + %du], q[qb + %du]);\n  var a%d = vec4<f32>();\n",
			d, 4*d, 4*d+1, 4*d+2, 4*d+3, d)
		for r := range dots {
			dots[r] = append(dots[r], fmt.Sprintf("dot(q%d, ks[r%d + %du])", d, r, d))
		}
		fmt.Fprintf(&acc4, "      a%d = a%d * corr + e4.x * vs[r0 + %du] + e4.y * vs[r1 + %du] + e4.z * vs[r2 + %du] + e4.w * vs[r3 + %du];\n",
			d, d, d, d, d, d)
		fmt.Fprintf(&acc1, "      a%d = a%d * corr + e * vs[r0 + %du];\n", d, d, d)
		fmt.Fprintf(&store, "    let o%d = a%d * inv;\n    o[ob + %du] = o%d.x;\n    o[ob + %du] = o%d.y;\n    o[ob + %du] = o%d.z;\n    o[ob + %du] = o%d.w;\n",
			d, d, 4*d, d, 4*d+1, d, 4*d+2, d, 4*d+3, d)
	}
	defs := Defines{"DH4": d4, "Q_ROW": strings.TrimSuffix(qrow.String(), "\n"), "ACC4": strings.TrimSuffix(acc4.String(), "\n"),
		"ACC1": strings.TrimSuffix(acc1.String(), "\n"), "STORE": strings.TrimSuffix(store.String(), "\n")}
	for r, terms := range dots {
		defs[fmt.Sprintf("DOT_R%d", r)] = strings.Join(terms, " + ")
	}
	return defs
}

func (k Attention) Grid(pa any) ([3]uint32, error) {
	p, err := paramsAs[AttentionParams](k.Family(), pa)
	if err != nil {
		return [3]uint32{}, err
	}
	if p.Dh > k.dmax() || p.Dh == 0 || p.Dh%4 != 0 || (k.Unrolled && p.Dh != k.Dh) {
		return [3]uint32{}, fmt.Errorf("wgsl: attention: head width %d does not fit variant %d (compiled width %d)", p.Dh, k.dmax(), k.Dh)
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
