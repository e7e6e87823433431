package wgsl

import "fmt"

// EltOp selects the element-wise kernel of eltwise.wgsl.
type EltOp uint8

const (
	EltAdd   EltOp = 1 // out = (x + y) * s
	EltGEGLU EltOp = 2 // out[r,j] = x[r,j] * gelu(x[r,inner+j])
	EltAct   EltOp = 3 // out = act(x)
	EltCFG   EltOp = 4 // out = x + s*(x[n:] - x): classifier-free guidance over a batch-2 output
	EltScale EltOp = 5 // out = x * s
	// EltCFGScalar is EltCFG with the scale read from y[YOff] (the per-step scalars), so that
	// changing it rebuilds nothing.
	EltCFGScalar EltOp = 6
)

func (o EltOp) binary() bool { return o == EltAdd || o == EltCFGScalar }

// Eltwise is the element-wise family (eltwise.wgsl).
type Eltwise struct {
	Op  EltOp
	Act Act // for EltAct
}

// EltwiseParams mirrors struct Params in eltwise.wgsl; N is the number of outputs.
type EltwiseParams struct {
	N, Inner, XOff, YOff, OutOff uint32
	S                            float32
}

func (Eltwise) Family() string { return "eltwise" }

func (k Eltwise) Bindings() []Binding {
	if k.Op.binary() {
		return []Binding{{Name: "x", Type: F32}, {Name: "y", Type: F32}, {Name: "o", Type: F32, Write: true}}
	}
	return []Binding{{Name: "x", Type: F32}, {Name: "o", Type: F32, Write: true}}
}

func (k Eltwise) Source() (string, error) {
	if k.Op < EltAdd || k.Op > EltCFGScalar {
		return "", fmt.Errorf("wgsl: eltwise: unknown op %d", k.Op)
	}
	return Expand("eltwise.wgsl", Defines{"OP": int(k.Op), "BINARY": k.Op.binary(), "ACT": int(k.Act)})
}

func (k Eltwise) Grid(pa any) ([3]uint32, error) {
	p, err := paramsAs[EltwiseParams](k.Family(), pa)
	if err != nil {
		return [3]uint32{}, err
	}
	if k.Op == EltGEGLU && p.Inner == 0 {
		return [3]uint32{}, fmt.Errorf("wgsl: eltwise geglu: inner is 0")
	}
	return grid1(ceilDiv(p.N, 256)), nil
}

func (Eltwise) FLOPs(pa any) float64 {
	p, _ := pa.(EltwiseParams)
	return float64(p.N)
}

func (k Eltwise) Ref(pa any, args []Mem) error {
	p, err := paramsAs[EltwiseParams](k.Family(), pa)
	if err != nil {
		return err
	}
	if err := checkArgs(k.Family(), k.Bindings(), args); err != nil {
		return err
	}
	x, o := args[0].F, args[len(args)-1].F
	s := float64(p.S)
	for i := range p.N {
		var v float64
		switch k.Op {
		case EltAdd:
			v = (float64(x[p.XOff+i]) + float64(args[1].F[p.YOff+i])) * s
		case EltGEGLU:
			r, j := i/p.Inner, i%p.Inner
			base := p.XOff + r*2*p.Inner
			v = float64(x[base+j]) * ActGELU.Apply(float64(x[base+p.Inner+j]))
		case EltAct:
			v = k.Act.Apply(float64(x[p.XOff+i]))
		case EltCFG:
			u := float64(x[p.XOff+i])
			v = u + s*(float64(x[p.XOff+p.N+i])-u)
		case EltScale:
			v = float64(x[p.XOff+i]) * s
		case EltCFGScalar:
			u := float64(x[p.XOff+i])
			v = u + float64(args[1].F[p.YOff])*(float64(x[p.XOff+p.N+i])-u)
		}
		o[p.OutOff+i] = float32(v)
	}
	return nil
}
