package wgsl

import (
	"fmt"
	"strings"
	"testing"
)

// TestForCPU checks that the CPU variants of the matrix product and the convolution have no
// workgroup memory and no barrier, that attention's has no indexed private arrays, that they keep
// the family's grid and bindings, and that other kernels are unchanged.
func TestForCPU(t *testing.T) {
	mm := MatMul{BF16: true, Bias: true, Residual: true, Act: ActGELU}
	mp := MatMulParams{M: 77, N: 320, K: 768, Batch1: 2, Batch2: 1}
	cv := Conv2D{WF16: true, Bias2: true, Upsample: true, Small: true}
	cp := Conv2DParams{Cin: 8, H: 4, W: 4, Cout: 16, OH: 8, OW: 8, KH: 3, KW: 3, Stride: 1, PadT: 1, PadL: 1, Batch: 2}
	for _, c := range []struct {
		k Kernel
		p any
	}{{mm, mp}, {cv, cp}} {
		d := ForCPU(c.k, c.p)
		if d == c.k {
			t.Fatalf("%s: ForCPU returned the same variant", c.k.Family())
		}
		for name, k := range map[string]Kernel{"tiled": c.k, "direct": d} {
			src, err := k.Source()
			if err != nil {
				t.Fatalf("%s %s: %v", c.k.Family(), name, err)
			}
			shared := strings.Contains(src, "var<workgroup>") || strings.Contains(src, "workgroupBarrier")
			if shared != (name == "tiled") {
				t.Errorf("%s %s: workgroup memory or barrier present = %v", c.k.Family(), name, shared)
			}
		}
		checkSameGrid(t, c.k.Family(), c.k, d, c.p)
		if len(c.k.Bindings()) != len(d.Bindings()) {
			t.Errorf("%s: bindings differ", c.k.Family())
		}
	}
	// Attention keeps its staging (its keys are shared by the workgroup's 64 queries) but no
	// indexed row or score array, for heads up to MaxUnrolledHeadDim.
	for _, dh := range []int{8, 24, 64, 160} {
		at, err := NewAttention(dh, false, true)
		if err != nil {
			t.Fatal(err)
		}
		src, err := ForCPU(at, nil).Source()
		if err != nil {
			t.Fatalf("attention dh=%d: %v", dh, err)
		}
		indexed := strings.Contains(src, "var qr: array") || strings.Contains(src, "var s: array")
		if indexed != (dh > MaxUnrolledHeadDim) {
			t.Errorf("attention dh=%d: indexed private arrays present = %v", dh, indexed)
		}
		p := AttentionParams{Heads: 2, Tq: 100, Tk: 77, Dh: uint32(dh), Batch: 2}
		checkSameGrid(t, fmt.Sprintf("attention dh=%d", dh), at, ForCPU(at, p), p)
	}
	if sm := (Softmax{}); ForCPU(sm, SoftmaxParams{}) != Kernel(sm) {
		t.Errorf("softmax changed")
	}
}

// TestForCPUVec4 checks that the CPU variant of a matrix product reads vec4s exactly when every
// row of A and B is a run of whole vec4s along K, with the tiled kernel's grid, and that the
// vec4 kernel refuses params that do not fit.
func TestForCPUVec4(t *testing.T) {
	fit := MatMulParams{M: 77, N: 96, K: 64, Batch1: 2, Batch2: 3, AOff: 4, AB1: 3 * 77 * 64, AB2: 77 * 64, AM: 64, AK: 1,
		BOff: 8, BB2: 96 * 64, BB1: 3 * 96 * 64, BN: 64, BK: 1, CM: 96, CN: 1}
	for _, small := range []bool{false, true} {
		for _, f16 := range []bool{false, true} {
			mm := MatMul{BF16: f16, Bias: true, Small: small}
			d, ok := ForCPU(mm, fit).(MatMul)
			if !ok || !d.Vec4 || !d.Direct {
				t.Fatalf("%+v: ForCPU gave %+v, want the direct vec4 variant", mm, d)
			}
			src, err := d.Source()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(src, "array<vec4<f32>>") || strings.Contains(src, "var<workgroup>") {
				t.Errorf("%+v: source does not read vec4s without workgroup memory", d)
			}
			checkSameGrid(t, fmt.Sprintf("%+v", d), mm, d, fit)
		}
	}
	for name, change := range map[string]func(*MatMulParams){
		"odd K":        func(p *MatMulParams) { p.K = 63 },
		"A offset":     func(p *MatMulParams) { p.AOff = 5 },
		"A row stride": func(p *MatMulParams) { p.AM = 66 },
		"A batch":      func(p *MatMulParams) { p.AB2 = 6 },
		"B offset":     func(p *MatMulParams) { p.BOff = 2 },
		"B row stride": func(p *MatMulParams) { p.BN = 70 },
		"B batch":      func(p *MatMulParams) { p.BB1 = 7 },
		"A by columns": func(p *MatMulParams) { p.AM, p.AK = 1, 77 },
		"B by columns": func(p *MatMulParams) { p.BN, p.BK = 1, 96 },
	} {
		p := fit
		change(&p)
		if d := ForCPU(MatMul{}, p).(MatMul); d.Vec4 || !d.Direct {
			t.Errorf("%s: ForCPU gave %+v, want the direct scalar variant", name, d)
		}
		if _, err := (MatMul{Direct: true, Vec4: true}).Grid(p); err == nil {
			t.Errorf("%s: the vec4 kernel took params that do not fit", name)
		}
	}
}

// TestForGPUVec4 checks the GPU's matrix product and convolution: tiled, staging a vec4 per load
// exactly where the operands allow, with the scalar kernels' grids; the CPU variants and other
// kernels pass unchanged.
func TestForGPUVec4(t *testing.T) {
	fit := MatMulParams{M: 77, N: 96, K: 64, Batch1: 1, Batch2: 1, AM: 64, AK: 1, BN: 64, BK: 1, CM: 96, CN: 1}
	for _, f16 := range []bool{false, true} {
		mm := MatMul{BF16: f16, Residual: true}
		g, ok := ForGPU(mm, fit).(MatMul)
		if !ok || !g.Vec4 || g.Direct {
			t.Fatalf("%+v: ForGPU gave %+v, want the tiled vec4 variant", mm, g)
		}
		src, err := g.Source()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(src, "array<vec4<f32>>") || !strings.Contains(src, "put_a4(s, kk, mm, v)") || !strings.Contains(src, "workgroupBarrier") {
			t.Errorf("%+v: source does not stage vec4 tiles", g)
		}
		checkSameGrid(t, fmt.Sprintf("%+v", g), mm, g, fit)
		p := fit
		p.AOff = 2
		if ForGPU(mm, p) != Kernel(mm) {
			t.Errorf("%+v: unaligned A got the vec4 variant", mm)
		}
	}
	if d := ForCPU(MatMul{}, MatMulParams{AOff: 1}); ForGPU(d, fit) != d {
		t.Errorf("ForGPU changed a CPU variant")
	}
	// the convolution stages its weight tiles in vec4s where every weight row is a run of them
	cp := Conv2DParams{Cin: 4, H: 7, W: 9, Cout: 70, OH: 7, OW: 9, KH: 3, KW: 3, Stride: 1, PadT: 1, PadL: 1, WOff: 8, Batch: 2}
	for _, up := range []bool{false, true} {
		cv := Conv2D{WF16: true, Upsample: up, Small: true}
		g, ok := ForGPU(cv, cp).(Conv2D)
		if !ok || !g.Vec4 || g.Direct {
			t.Fatalf("%+v: ForGPU gave %+v, want the tiled vec4 variant", cv, g)
		}
		src, err := g.Source()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(src, "put_a4(s, kk, mm, v)") || !strings.Contains(src, "var<storage, read> src: array<f32>") {
			t.Errorf("%+v: source does not stage vec4 weight tiles from a scalar input", g)
		}
		checkSameGrid(t, fmt.Sprintf("%+v", g), cv, g, cp)
		for name, change := range map[string]func(*Conv2DParams){
			"weights offset": func(p *Conv2DParams) { p.WOff = 2 },
			"27 per row":     func(p *Conv2DParams) { p.Cin = 3 },
		} {
			p := cp
			change(&p)
			if ForGPU(cv, p) != Kernel(cv) {
				t.Errorf("%s: got the vec4 variant", name)
			}
			if _, err := g.Grid(p); err == nil {
				t.Errorf("%s: the vec4 kernel took params that do not fit", name)
			}
		}
	}
	if sm := (Softmax{}); ForGPU(sm, SoftmaxParams{}) != Kernel(sm) {
		t.Errorf("softmax changed")
	}
}

// TestForCPUConvVec4 is TestForCPUVec4 for the convolution: the vec4 variant exactly for a
// same-size 3x3 with stride 1 over rows a multiple of 4 wide, input channels a multiple of 4,
// input and weights on a multiple of 4, and a grid within bounds; it has its own grid.
func TestForCPUConvVec4(t *testing.T) {
	fit := Conv2DParams{Cin: 48, H: 8, W: 8, Cout: 96, OH: 8, OW: 8, KH: 3, KW: 3, Stride: 1, PadT: 1, PadL: 1,
		InOff: 4, InB: 48 * 64, OutB: 96 * 64, Batch: 2}
	for _, small := range []bool{false, true} {
		cv := Conv2D{WF16: true, Bias2: true, Residual: true, Small: small}
		d, ok := ForCPU(cv, fit).(Conv2D)
		if !ok || !d.Vec4 || !d.Direct {
			t.Fatalf("%+v: ForCPU gave %+v, want the direct vec4 variant", cv, d)
		}
		src, err := d.Source()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(src, "array<vec4<f32>>") || strings.Contains(src, "var<workgroup>") {
			t.Errorf("%+v: source does not read vec4s without workgroup memory", d)
		}
		// one thread per sample, 4 channels, 4 rows and a vec4 of a row: 2*24*2*2 = 192 threads
		if g, err := d.Grid(fit); err != nil || g != [3]uint32{192 / Vec4Group, 1, 1} {
			t.Errorf("%+v: grid %v (%v), want %d workgroups", d, g, err, 192/Vec4Group)
		}
	}
	for name, change := range map[string]func(*Conv2DParams){
		"1x1":          func(p *Conv2DParams) { p.KH, p.KW, p.PadT, p.PadL = 1, 1, 0, 0 },
		"stride 2":     func(p *Conv2DParams) { p.Stride, p.OH, p.OW = 2, 4, 4 },
		"no padding":   func(p *Conv2DParams) { p.PadT, p.PadL, p.OH, p.OW = 0, 0, 6, 6 },
		"rows 6 wide":  func(p *Conv2DParams) { p.W, p.OW = 6, 6 },
		"input offset": func(p *Conv2DParams) { p.InOff = 2 },
		"batch stride": func(p *Conv2DParams) { p.InB = 50*64/4*4 + 2 },
	} {
		p := fit
		change(&p)
		if d := ForCPU(Conv2D{}, p).(Conv2D); d.Vec4 || !d.Direct {
			t.Errorf("%s: ForCPU gave %+v, want the direct scalar variant", name, d)
		}
		if _, err := (Conv2D{Direct: true, Vec4: true}).Grid(p); err == nil {
			t.Errorf("%s: the vec4 kernel took params that do not fit", name)
		}
	}
	if d := ForCPU(Conv2D{Upsample: true}, fit).(Conv2D); d.Vec4 {
		t.Errorf("an upsampling convolution got the vec4 variant")
	}
	if _, err := (Conv2D{Vec4: true, Direct: true, Upsample: true}).Source(); err == nil {
		t.Errorf("a direct vec4 convolution that upsamples compiled")
	}
}

// checkSameGrid fails unless kernels a and its variant b take params p without error and give the
// same grid.
func checkSameGrid(t *testing.T, what string, a, b Kernel, p any) {
	t.Helper()
	g1, err1 := a.Grid(p)
	g2, err2 := b.Grid(p)
	if err1 != nil || err2 != nil || g1 != g2 {
		t.Errorf("%s: grids %v (%v) and %v (%v)", what, g1, err1, g2, err2)
	}
}
