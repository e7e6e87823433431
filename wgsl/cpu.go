package wgsl

// ForCPU returns the variant of k that suits an adapter that runs shaders on the CPU
// (SwiftShader, llvmpipe): the matrix product and the convolution without workgroup memory or
// barriers (Direct), attention with its rows in named registers (Unrolled). Such an adapter runs
// a workgroup's threads a few SIMD lanes at a time and switches between them at every barrier,
// which costs more than the loads the staging saves (the default model's matrix products ran
// 2.2x faster on SwiftShader without it), and keeps private arrays that are indexed in loops in
// memory. A matrix product whose operands are runs of whole vec4s along K (MatMulVec4Fits of its
// params p), and a same-size 3x3 convolution over rows a multiple of 4 wide (Conv2DVec4Fits),
// get their Vec4 variants: llvmpipe loads storage one SIMD lane at a time, so a vec4 load costs
// about two scalar ones, and bigger blocks per thread need fewer loads per product. Other kernels, and kernels already in their CPU variant, come
// back unchanged; the bindings and results do not depend on the variant, nor does the grid except
// the vec4 convolution's (its threads are not the tiled kernel's).
func ForCPU(k Kernel, p any) Kernel {
	switch v := k.(type) {
	case MatMul:
		v.Direct = true
		if mp, ok := p.(MatMulParams); ok && MatMulVec4Fits(mp) {
			v.Vec4 = true
		}
		return v
	case Conv2D:
		v.Direct = true
		if cp, ok := p.(Conv2DParams); ok && Conv2DVec4Fits(cp, v.Upsample) {
			v.Vec4 = true
		}
		return v
	case Attention:
		if v.Dh > 0 && v.Dh <= MaxUnrolledHeadDim {
			v.Unrolled = true
		}
		return v
	}
	return k
}

// ForGPU returns the variant of k that suits a GPU for a call with params p: the tiled matrix
// product staging its tiles a vec4 per load where its operands are runs of whole vec4s along K
// (MatMulVec4Fits), the tiled convolution its weight tiles where every weight row is. Other kernels
// come back unchanged.
func ForGPU(k Kernel, p any) Kernel {
	switch v := k.(type) {
	case MatMul:
		if mp, ok := p.(MatMulParams); ok && !v.Direct && MatMulVec4Fits(mp) {
			v.Vec4 = true
		}
		return v
	case Conv2D:
		if cp, ok := p.(Conv2DParams); ok && !v.Direct && conv2DWeightsVec4(cp) {
			v.Vec4 = true
		}
		return v
	}
	return k
}
