package gpugraph

// Map is an NCHW feature map held by a tensor (at element offset Off).
type Map struct {
	T          ID
	Off        int
	B, C, H, W int
}

// HW is the number of pixels per channel.
func (m Map) HW() int { return m.H * m.W }

// Len is the number of elements.
func (m Map) Len() int { return m.B * m.C * m.H * m.W }

// Seq is a token-major [B, L, C] sequence: row r = b*L + l holds C channels, rows RowStride
// apart (RowStride = C unless it is a slice of wider rows) from element offset Off.
type Seq struct {
	T            ID
	Off          int
	B, L, C      int
	RowStride    int
	BatchStride_ int // elements between samples; 0 means L*RowStride
}

func seq(t ID, b, l, c int) Seq { return Seq{T: t, B: b, L: l, C: c, RowStride: c} }

// BatchStride is the element distance between samples.
func (s Seq) BatchStride() int {
	if s.BatchStride_ != 0 {
		return s.BatchStride_
	}
	return s.L * s.RowStride
}

// Rows is B*L.
func (s Seq) Rows() int { return s.B * s.L }
