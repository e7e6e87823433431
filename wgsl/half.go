package wgsl

// WithHalf returns the variant of k that reads its f16 weights as WGSL's own f16 type, for a
// device with the shader-f16 feature: each half is loaded by itself, where the other variants
// load u32 words and unpack them with unpack2x16float (in software on CPU adapters). The buffers
// hold the same bytes and the values are the same f16 numbers, widened to f32 for f32 arithmetic
// (activations and accumulation stay f32), so the results do not change. Kernels without f16
// weights come back unchanged.
func WithHalf(k Kernel) Kernel {
	switch v := k.(type) {
	case MatMul:
		v.Half = v.BF16
		return v
	case Conv2D:
		v.Half = v.WF16
		return v
	case Embed:
		v.Half = v.F16
		return v
	}
	return k
}

// expandHalf is Expand with WGSL's `enable f16;` first when the variant reads f16 values (the
// directive must precede every declaration).
func expandHalf(half bool, name string, defs Defines) (string, error) {
	src, err := Expand(name, defs)
	if err != nil || !half {
		return src, err
	}
	return "enable f16;\n" + src, nil
}
