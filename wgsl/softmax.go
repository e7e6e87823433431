package wgsl

import "math"

// Softmax is the in-place row-softmax family (softmax.wgsl).
type Softmax struct{}

// SoftmaxParams mirrors struct Params in softmax.wgsl.
type SoftmaxParams struct {
	Rows, Cols, Off, RowStride uint32
}

func (Softmax) Family() string { return "softmax" }

func (Softmax) Bindings() []Binding { return []Binding{{Name: "x", Type: F32, Write: true}} }

func (Softmax) Source() (string, error) { return Expand("softmax.wgsl", Defines{"WG": 256}) }

func (k Softmax) Grid(pa any) ([3]uint32, error) {
	p, err := paramsAs[SoftmaxParams](k.Family(), pa)
	if err != nil {
		return [3]uint32{}, err
	}
	return grid1(p.Rows), nil
}

func (Softmax) FLOPs(pa any) float64 {
	p, _ := pa.(SoftmaxParams)
	return 5 * float64(p.Rows*p.Cols)
}

func (k Softmax) Ref(pa any, args []Mem) error {
	p, err := paramsAs[SoftmaxParams](k.Family(), pa)
	if err != nil {
		return err
	}
	if err := checkArgs(k.Family(), k.Bindings(), args); err != nil {
		return err
	}
	x := args[0].F
	for r := range p.Rows {
		row := x[p.Off+r*p.RowStride : p.Off+r*p.RowStride+p.Cols]
		mx := math.Inf(-1)
		for _, v := range row {
			mx = max(mx, float64(v))
		}
		var s float64
		for _, v := range row {
			s += math.Exp(float64(v) - mx)
		}
		for i, v := range row {
			row[i] = float32(math.Exp(float64(v)-mx) / s)
		}
	}
	return nil
}
