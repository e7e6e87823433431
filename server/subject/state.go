package subject

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/cones2web/cones2/weights"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	gctx "github.com/gomlx/gomlx/pkg/ml/context"
)

// stateFormat names the trainer's checkpoint files (a safetensors file).
const stateFormat = "cones2.train_state.v1"

// SaveState writes a checkpoint of the run (tuned parameters, AdamW moments, E0 and the step
// count) to w as a safetensors file. LoadState on a Trainer made with the same model, word,
// images and options continues the run exactly as if it had not stopped.
func (t *Trainer) SaveState(w io.Writer) error {
	table, err := t.syncTable()
	if err != nil {
		return fmt.Errorf("save training state: %w", err)
	}
	out := []weights.OutTensor{{Name: "table", DType: weights.F32, Shape: t.state.tableVar.Shape().Dimensions,
		Bytes: func() ([]byte, error) { return float32Bytes(table), nil }}}
	add := func(name string, v *gctx.Variable) {
		out = append(out, weights.OutTensor{Name: name, DType: weights.F32, Shape: v.Shape().Dimensions, Bytes: func() ([]byte, error) {
			data, err := variableData(v)
			if err != nil {
				return nil, err
			}
			return float32Bytes(data), nil
		}})
	}
	for i, n := range t.stateNames() {
		add("param."+n, t.state.params[i])
		add("adam_m."+n, t.state.m[i])
		add("adam_v."+n, t.state.v[i])
	}
	add("e0", t.state.e0)
	meta := map[string]string{"format": stateFormat, "steps_done": strconv.Itoa(t.done), "run": t.runID()}
	if err := weights.WriteSafetensors(w, out, meta); err != nil {
		return fmt.Errorf("save training state: %w", err)
	}
	return nil
}

// LoadState restores a checkpoint written by SaveState for this same run (model, word,
// images and options); a checkpoint of another run is refused.
func (t *Trainer) LoadState(r io.ReaderAt, size int64) error {
	h, err := weights.ParseHeader("checkpoint", r, size)
	if err != nil {
		return fmt.Errorf("load training state: %w", err)
	}
	switch {
	case h.Metadata["format"] != stateFormat:
		return fmt.Errorf("load training state: not a training checkpoint (format %q)", h.Metadata["format"])
	case h.Metadata["run"] != t.runID():
		return fmt.Errorf("load training state: the checkpoint belongs to another run (model, word, images or options differ)")
	}
	done, err := strconv.Atoi(h.Metadata["steps_done"])
	if err != nil || done < 0 || done > t.opts.Steps {
		return fmt.Errorf("load training state: steps_done %q, want 0..%d", h.Metadata["steps_done"], t.opts.Steps)
	}
	load := func(name string, v *gctx.Variable) error {
		info, ok := h.Tensor(name)
		if !ok || !slices.Equal(info.Shape, v.Shape().Dimensions) {
			return fmt.Errorf("load training state: tensor %s missing or of another shape", name)
		}
		data, err := h.ReadFloat32(r, name)
		if err != nil {
			return fmt.Errorf("load training state: %w", err)
		}
		return v.SetValue(tensors.FromFlatDataAndDimensions(data, v.Shape().Dimensions...))
	}
	info, ok := h.Tensor("table")
	if !ok || !slices.Equal(info.Shape, t.state.tableVar.Shape().Dimensions) {
		return fmt.Errorf("load training state: tensor table missing or of another shape")
	}
	table, err := h.ReadFloat32(r, "table")
	if err != nil {
		return fmt.Errorf("load training state: %w", err)
	}
	for i, n := range t.stateNames() {
		for _, p := range []struct {
			prefix string
			v      *gctx.Variable
		}{{"param.", t.state.params[i]}, {"adam_m.", t.state.m[i]}, {"adam_v.", t.state.v[i]}} {
			if err := load(p.prefix+n, p.v); err != nil {
				return err
			}
		}
	}
	if err := load("e0", t.state.e0); err != nil {
		return err
	}
	t.state.table = table
	t.done = done
	return nil
}

// stateNames are the checkpoint's names of the trainable variables: the diffusers names, but
// "token_rows" for the trained rows of the token table.
func (t *Trainer) stateNames() []string {
	names := slices.Clone(t.state.names)
	names[0] = "token_rows"
	return names
}

func float32Bytes(data []float32) []byte {
	raw := make([]byte, 4*len(data))
	for i, x := range data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
	}
	return raw
}

// runID identifies a run: the model's text encoder, the word, the images' latent statistics
// and the options (everything the steps depend on besides the step count).
func (t *Trainer) runID() string {
	h := sha256.New()
	opts, _ := json.Marshal(t.opts)
	fmt.Fprintf(h, "%s %s %s %d\n%s\n", t.p.Family, t.p.Fingerprint, t.word, t.size, opts)
	var b [4]byte
	for i := range t.mean {
		for _, arr := range [][]float32{t.mean[i], t.std[i]} {
			for _, x := range arr {
				binary.LittleEndian.PutUint32(b[:], math.Float32bits(x))
				h.Write(b[:])
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:24]
}
