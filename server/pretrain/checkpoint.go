package pretrain

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/cones2web/cones2/weights"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/nlpodyssey/safetensors"
)

// A checkpoint is one safetensors file holding every variable of the context (the networks,
// the optimiser's moments and step counters), keyed by GoMLX parameter name, with the number of
// completed steps in its metadata. It is written to a temporary file and renamed, so an
// interrupted save leaves the previous checkpoint intact.

const (
	checkpointFile = "checkpoint.safetensors"
	stepsKey       = "steps"
)

// saveCheckpoint writes every variable of ctx and the step count to dir.
func saveCheckpoint(ctx *context.Context, dir string, steps int) error {
	var ts []weights.OutTensor
	for v := range ctx.IterVariables() {
		t, err := v.Value()
		if err != nil {
			return fmt.Errorf("checkpoint: %s: %w", v.ParameterName(), err)
		}
		ot := weights.OutTensor{Name: v.ParameterName(), Shape: slices.Clone(t.Shape().Dimensions)}
		switch t.DType() {
		case dtypes.Float32:
			data := tensors.MustCopyFlatData[float32](t)
			ot.DType, ot.Bytes = weights.F32, func() ([]byte, error) { return float32Bytes(data), nil }
		case dtypes.Int64:
			data := tensors.MustCopyFlatData[int64](t)
			ot.DType, ot.Bytes = weights.I64, func() ([]byte, error) { return int64Bytes(data), nil }
		default:
			return fmt.Errorf("checkpoint: %s: dtype %s is not saved", v.ParameterName(), t.DType())
		}
		ts = append(ts, ot)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".checkpoint-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	err = weights.WriteSafetensors(tmp, ts, map[string]string{stepsKey: strconv.Itoa(steps)})
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, checkpointFile))
}

// loadCheckpoint restores the variables saved in dir into ctx (overwriting existing ones and
// creating the others, such as the optimiser's moments, so that the training graph reuses them)
// and returns the completed step count; a folder without a checkpoint gives 0 and changes
// nothing.
func loadCheckpoint(ctx *context.Context, dir string) (int, error) {
	data, err := os.ReadFile(filepath.Join(dir, checkpointFile))
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	st, err := safetensors.Deserialize(data)
	if err != nil {
		return 0, fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	_, meta, err := safetensors.ReadMetadata(data)
	if err != nil {
		return 0, fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	steps, err := strconv.Atoi(meta.Metadata()[stepsKey])
	if err != nil {
		return 0, fmt.Errorf("checkpoint %s: step count: %w", dir, err)
	}
	ctx = ctx.Checked(false)
	for _, nt := range st.Tensors() {
		t, err := tensorOf(nt.TensorView)
		if err != nil {
			return 0, fmt.Errorf("checkpoint %s: %s: %w", dir, nt.Name, err)
		}
		scope, name := context.VariableScopeAndNameFromParameterName(nt.Name)
		if name == "" {
			return 0, fmt.Errorf("checkpoint %s: %q is not a variable name", dir, nt.Name)
		}
		if v := ctx.GetVariableByScopeAndName(scope, name); v != nil {
			if !v.Shape().Equal(t.Shape()) {
				return 0, fmt.Errorf("checkpoint %s: %s has shape %s, the model %s", dir, nt.Name, t.Shape(), v.Shape())
			}
			if err := v.SetValue(t); err != nil {
				return 0, err
			}
			continue
		}
		ctx.InAbsPath(scope).VariableWithValue(name, t).SetTrainable(false)
	}
	return steps, nil
}

// tensorOf converts a saved tensor back into a GoMLX tensor.
func tensorOf(v safetensors.TensorView) (*tensors.Tensor, error) {
	dims := make([]int, len(v.Shape()))
	for i, d := range v.Shape() {
		dims[i] = int(d)
	}
	raw := v.Data()
	switch v.DType() {
	case safetensors.F32:
		vals := make([]float32, len(raw)/4)
		for i := range vals {
			vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		return tensors.FromFlatDataAndDimensions(vals, dims...), nil
	case safetensors.I64:
		vals := make([]int64, len(raw)/8)
		for i := range vals {
			vals[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
		}
		return tensors.FromFlatDataAndDimensions(vals, dims...), nil
	}
	return nil, fmt.Errorf("dtype %s is not restored", v.DType())
}

func int64Bytes(vals []int64) []byte {
	var b bytes.Buffer
	for _, v := range vals {
		_ = binary.Write(&b, binary.LittleEndian, v)
	}
	return b.Bytes()
}
