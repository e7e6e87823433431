package gpugraph

import (
	"fmt"

	"github.com/cones2web/cones2/wgsl"
)

// Kind says where a tensor's contents come from.
type Kind uint8

const (
	Activation Kind = iota // produced and consumed inside the graph; shares planned buffers
	Weight                 // a model parameter, loaded once
	Input                  // written by the caller before a run
	Output                 // read by the caller after a run (never shares a buffer)
	Const                  // computed at build time (Data), uploaded once
)

func (k Kind) String() string {
	return [...]string{"activation", "weight", "input", "output", "const"}[k]
}

// ID names a tensor of a graph.
type ID int

// Tensor is one buffer's worth of data in a graph.
type Tensor struct {
	Name  string
	Kind  Kind
	DType wgsl.DType
	Len   int       // elements
	Param string    // Weight: the description's parameter name
	Data  []float32 // Const: the values
}

// Bytes is the buffer size the tensor needs (rounded up to 4 bytes).
func (t Tensor) Bytes() uint64 { return (uint64(t.DType.Size(t.Len)) + 3) &^ 3 }

// Op is one kernel dispatch: Args follow Kernel.Bindings().
type Op struct {
	Name   string // the module it belongs to, e.g. "down_blocks.0.resnets.1.conv1"
	Kernel wgsl.Kernel
	Params any
	Args   []ID
	// TextKV marks the projection of the text embedding to a cross-attention layer's keys or
	// values: work that depends on the prompt only.
	TextKV bool
	// Guided marks work only a step with layout guidance needs (the score statistics): a run
	// without guidance skips it.
	Guided bool
}

// Graph is a network as dispatches in execution order.
type Graph struct {
	Tensors []Tensor
	Ops     []Op
	Inputs  map[string]ID
	Outputs map[string]ID
}

// FLOPs sums the floating-point operations of all dispatches.
func (g *Graph) FLOPs() float64 {
	var s float64
	for _, op := range g.Ops {
		s += op.Kernel.FLOPs(op.Params)
	}
	return s
}

// TextKVOps counts the dispatches that project the text embedding to keys or values.
func (g *Graph) TextKVOps() int {
	n := 0
	for _, op := range g.Ops {
		if op.TextKV {
			n++
		}
	}
	return n
}

// WeightParams lists the parameter names of the graph's weight tensors in first-use order.
func (g *Graph) WeightParams() []string {
	var out []string
	for _, t := range g.Tensors {
		if t.Kind == Weight {
			out = append(out, t.Param)
		}
	}
	return out
}

// Validate checks every op against its kernel: argument count, binding dtypes, params type and grid.
func (g *Graph) Validate() error {
	for i, op := range g.Ops {
		bs := op.Kernel.Bindings()
		if len(op.Args) != len(bs) {
			return fmt.Errorf("graph: op %d (%s): %d args for %d bindings", i, op.Name, len(op.Args), len(bs))
		}
		for j, a := range op.Args {
			t := g.Tensors[a]
			if t.DType != bs[j].Type {
				return fmt.Errorf("graph: op %d (%s): binding %s is %s, tensor %s is %s", i, op.Name, bs[j].Name, bs[j].Type, t.Name, t.DType)
			}
			if bs[j].Write && (t.Kind == Weight || t.Kind == Const) {
				return fmt.Errorf("graph: op %d (%s) writes %s tensor %s", i, op.Name, t.Kind, t.Name)
			}
		}
		if _, err := op.Kernel.Grid(op.Params); err != nil {
			return fmt.Errorf("graph: op %d (%s): %w", i, op.Name, err)
		}
	}
	return nil
}

// builder accumulates a graph.
type builder struct {
	g      *Graph
	f16    bool   // store matrix weights as f16
	limit  uint64 // largest buffer a kernel may bind, in bytes
	params map[string]ID
	flash  int // widest head for the online-softmax kernel (0: wgsl.MaxFlashHeadDim)
	// textInputs makes cross-attention keys and values inputs (UNetOptions.TextKV)
	textInputs bool
	err        error
}

func newBuilder(f16 bool, limit uint64) *builder {
	return &builder{g: &Graph{Inputs: map[string]ID{}, Outputs: map[string]ID{}}, f16: f16, limit: limit,
		params: map[string]ID{}}
}

func (b *builder) add(t Tensor) ID {
	if b.err == nil && t.Bytes() > b.limit {
		b.err = &TooLargeError{Tensor: t.Name, Bytes: t.Bytes(), Limit: b.limit}
	}
	b.g.Tensors = append(b.g.Tensors, t)
	return ID(len(b.g.Tensors) - 1)
}

// act adds an activation of n float32s.
func (b *builder) act(name string, n int) ID {
	return b.add(Tensor{Name: name, Kind: Activation, DType: wgsl.F32, Len: n})
}

func (b *builder) input(name string, dt wgsl.DType, n int) ID {
	id := b.add(Tensor{Name: name, Kind: Input, DType: dt, Len: n})
	b.g.Inputs[name] = id
	return id
}

// output marks an existing activation as an output.
func (b *builder) output(name string, id ID) {
	b.g.Tensors[id].Kind = Output
	b.g.Outputs[name] = id
}

// weight returns the tensor of parameter name with n elements; matrix (not 1-D) weights are
// stored f16 when the graph uses f16 weights.
func (b *builder) weight(name string, n int, matrix bool) ID {
	if id, ok := b.params[name]; ok {
		return id
	}
	dt := wgsl.F32
	if matrix && b.f16 {
		dt = wgsl.F16
	}
	id := b.add(Tensor{Name: name, Kind: Weight, DType: dt, Len: n, Param: name})
	b.params[name] = id
	return id
}

func (b *builder) op(name string, k wgsl.Kernel, p any, args ...ID) {
	b.g.Ops = append(b.g.Ops, Op{Name: name, Kernel: k, Params: p, Args: args})
}

func (b *builder) finish() (*Graph, error) {
	if b.err != nil {
		return nil, b.err
	}
	if err := b.g.Validate(); err != nil {
		return nil, err
	}
	return b.g, nil
}

// TooLargeError reports a tensor larger than the device lets a kernel bind, where the graph
// has no way to split the work.
type TooLargeError struct {
	Tensor string
	Bytes  uint64
	Limit  uint64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("graph: %s needs a %d-byte buffer, more than the %d bytes the GPU can bind", e.Tensor, e.Bytes, e.Limit)
}

// WeightDType is how a parameter of the given shape is stored on the GPU: matrices (linear,
// convolution and embedding weights) in f16 when f16 is set, vectors (biases, norms) always f32.
// The graphs and the weight loader both follow it.
func WeightDType(shape []int, f16 bool) wgsl.DType {
	if f16 && len(shape) >= 2 {
		return wgsl.F16
	}
	return wgsl.F32
}
