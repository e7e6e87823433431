package reference

import "math"

// ConvSpec is a convolution's geometry: stride, padding (top, bottom, left, right) and a
// nearest-neighbour upsampling factor applied to the input first.
type ConvSpec struct {
	Stride, Up int
	Pad        [4]int
}

// Conv2D convolves x [b, h, w, cin] with kernel [cout, cin, k, k] plus bias (or nil) and returns
// [b, oh, ow, cout] with its size.
func Conv2D(x []float64, b, h, w, cin int, kernel, bias []float64, cout, k int, s ConvSpec) (out []float64, oh, ow int) {
	stride, up := max(s.Stride, 1), max(s.Up, 1)
	ih, iw := h*up, w*up
	oh = (ih+s.Pad[0]+s.Pad[1]-k)/stride + 1
	ow = (iw+s.Pad[2]+s.Pad[3]-k)/stride + 1
	out = make([]float64, b*oh*ow*cout)
	for n := 0; n < b; n++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				for co := 0; co < cout; co++ {
					sum := 0.0
					if bias != nil {
						sum = bias[co]
					}
					for ky := 0; ky < k; ky++ {
						for kx := 0; kx < k; kx++ {
							y, xx := oy*stride+ky-s.Pad[0], ox*stride+kx-s.Pad[2]
							if y < 0 || y >= ih || xx < 0 || xx >= iw {
								continue
							}
							y, xx = y/up, xx/up
							for ci := 0; ci < cin; ci++ {
								sum += x[((n*h+y)*w+xx)*cin+ci] * kernel[((co*cin+ci)*k+ky)*k+kx]
							}
						}
					}
					out[((n*oh+oy)*ow+ox)*cout+co] = sum
				}
			}
		}
	}
	return out, oh, ow
}

// Linear is x [rows, in] times weight [out, in] transposed, plus bias (or nil): [rows, out].
func Linear(x []float64, rows, in int, weight, bias []float64, out int) []float64 {
	y := make([]float64, rows*out)
	for r := 0; r < rows; r++ {
		for o := 0; o < out; o++ {
			s := 0.0
			if bias != nil {
				s = bias[o]
			}
			for i := 0; i < in; i++ {
				s += x[r*in+i] * weight[o*in+i]
			}
			y[r*out+o] = s
		}
	}
	return y
}

// GroupNorm normalises x [b, positions, c] over groups of channels and all positions (biased
// variance), then applies weight and bias per channel.
func GroupNorm(x []float64, b, p, c, groups int, weight, bias []float64, eps float64) []float64 {
	out := make([]float64, len(x))
	cg := c / groups
	for bi := 0; bi < b; bi++ {
		for g := 0; g < groups; g++ {
			mean, vr, n := 0.0, 0.0, float64(p*cg)
			for pi := 0; pi < p; pi++ {
				for ci := g * cg; ci < (g+1)*cg; ci++ {
					mean += x[(bi*p+pi)*c+ci]
				}
			}
			mean /= n
			for pi := 0; pi < p; pi++ {
				for ci := g * cg; ci < (g+1)*cg; ci++ {
					d := x[(bi*p+pi)*c+ci] - mean
					vr += d * d
				}
			}
			inv := 1 / math.Sqrt(vr/n+eps)
			for pi := 0; pi < p; pi++ {
				for ci := g * cg; ci < (g+1)*cg; ci++ {
					i := (bi*p+pi)*c + ci
					out[i] = (x[i]-mean)*inv*weight[ci] + bias[ci]
				}
			}
		}
	}
	return out
}

// LayerNorm normalises each row of x [rows, c] and applies weight and bias.
func LayerNorm(x []float64, rows, c int, weight, bias []float64, eps float64) []float64 {
	return GroupNorm(x, rows, 1, c, 1, weight, bias, eps)
}

// Edit is the Cones 2 layout edit of one attention: scores += Strength[b]·W·std(scores of b).
type Edit struct {
	W        []float64 // [queries, keys]
	Strength []float64 // per batch item
}

// Attention is multi-head attention of q [b, n, width] over k, v [b, m, width], with an optional
// causal mask and layout edit; it returns [b, n, width].
func Attention(q, k, v []float64, b, n, m, width, heads int, causal bool, edit *Edit) []float64 {
	d := width / heads
	out := make([]float64, b*n*width)
	for bi := 0; bi < b; bi++ {
		scores := make([]float64, heads*n*m)
		for h := 0; h < heads; h++ {
			for i := 0; i < n; i++ {
				for j := 0; j < m; j++ {
					s := 0.0
					for e := 0; e < d; e++ {
						s += q[(bi*n+i)*width+h*d+e] * k[(bi*m+j)*width+h*d+e]
					}
					scores[(h*n+i)*m+j] = s
				}
			}
		}
		if edit != nil {
			std := unbiasedStd(scores)
			for h := 0; h < heads; h++ {
				for i := 0; i < n*m; i++ {
					scores[h*n*m+i] += edit.Strength[bi] * edit.W[i] * std
				}
			}
		}
		for h := 0; h < heads; h++ {
			for i := 0; i < n; i++ {
				row := scores[(h*n+i)*m : (h*n+i+1)*m]
				softmaxRow(row, 1/math.Sqrt(float64(d)), causal, i)
				for e := 0; e < d; e++ {
					acc := 0.0
					for j, p := range row {
						acc += p * v[(bi*m+j)*width+h*d+e]
					}
					out[(bi*n+i)*width+h*d+e] = acc
				}
			}
		}
	}
	return out
}

// softmaxRow scales a row of scores, masks keys after query i when causal, and normalises it.
func softmaxRow(row []float64, scale float64, causal bool, i int) {
	mx := math.Inf(-1)
	for j := range row {
		row[j] *= scale
		if causal && j > i {
			row[j] = math.Inf(-1)
		}
		mx = math.Max(mx, row[j])
	}
	sum := 0.0
	for j := range row {
		row[j] = math.Exp(row[j] - mx)
		sum += row[j]
	}
	for j := range row {
		row[j] /= sum
	}
}

func unbiasedStd(x []float64) float64 {
	mean, ss := 0.0, 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return math.Sqrt(ss / float64(len(x)-1))
}

// SiLU is x·sigmoid(x).
func SiLU(x float64) float64 { return x / (1 + math.Exp(-x)) }

// GELU is the exact (erf) GELU.
func GELU(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }

// QuickGELU is x·sigmoid(1.702x).
func QuickGELU(x float64) float64 { return x / (1 + math.Exp(-1.702*x)) }

// Map applies f to every value of x, in a new slice.
func Map(x []float64, f func(float64) float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = f(v)
	}
	return out
}

// Add is a + b element-wise, in a new slice.
func Add(a, b []float64) []float64 {
	out := make([]float64, len(a))
	for i := range a {
		out[i] = a[i] + b[i]
	}
	return out
}

// F64 converts to float64.
func F64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// F32 converts to float32.
func F32(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}
