// Package cpukernels makes GoMLX's pure-Go simplego backend cost what the arithmetic costs: it
// replaces simplego's executor of DotGeneral (every matrix product, hence every linear layer,
// attention product and, through gathered columns, every convolution of the text encoder, UNet
// and VAE) with a packed, register-blocked matrix product that uses every core.
//
// simplego v0.26.0 normalises each operand of a DotGeneral into blocks, then multiplies blocks
// with a generic kernel on essentially one core: 3.5-10 GFLOP/s where the machine's sgemm limit is
// ten to twenty times that. Its executors live in an unexported table that simplego fills through
// an unexported setNodeExecutor, which has a priority reserved for user overrides. This package
// reaches that function, the backend's buffer pool, and the fields of Node, Buffer and
// DotGeneral's parameters with //go:linkname and mirror structs. Because that is reaching into
// another module's internals, Register first verifies with reflect that every mirrored struct
// has exactly the field names, types and offsets of the pinned GoMLX version (v0.26.0) and, when
// anything differs, registers nothing and returns an error: GoMLX's own kernels keep working.
//
// The matrix product (sgemm.go) packs the right operand into 16-column panels, reads the left
// one in place when its rows are evenly spaced runs (packing it otherwise), runs a 4x16
// micro-kernel over them (AVX2+FMA in Go assembly when built with GOEXPERIMENT=simd on amd64,
// portable Go otherwise), and splits the output into tiles that goroutines take in any
// order. Each output element is summed by exactly one goroutine over the contracted axis in
// increasing order, so results are bit-for-bit identical whatever the number of goroutines and
// from run to run. A build with the SIMD kernel and one without differ in the last bits (fused
// multiply-add).
//
// The profiles of training and sampling then showed the element-wise and data-movement ops, so
// this package also executes, for float32: Exp and Logistic (a vectorised Cephes exponential),
// Add/Sub/Mul/Div with implicit broadcasting, Transpose and BroadcastInDim as strided copies,
// ReduceSum/ReduceMax, and the row Gather and ScatterSum that nn.Conv2D's columns and their
// gradient use. All are split over the cores in pieces fixed by the tensor shapes, never by the
// number of goroutines. Scatters add in simplego's order; a reduction adds each contiguous run
// of its operand in eight interleaved lanes (reduce_run.go), an order fixed by the run's
// length, so its sums differ from simplego's in the last bits but not from run to run. The
// other vector kernels use simd/archsimd and end with VZEROUPPER (micro_simd_amd64.go).
// Anything else (other dtypes, unusual forms) goes to the simplego executor that was registered
// before.
package cpukernels
