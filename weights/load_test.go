package weights

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
	"github.com/nlpodyssey/safetensors"
)

// TestFixtureModelsLoad opens every fixture model folder, binds each component strictly and
// checks that every loaded float32 equals the value stored in the file, decoded independently
// by the safetensors library.
func TestFixtureModelsLoad(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		t.Run(v.Name, func(t *testing.T) {
			f, err := Open(v.Dir)
			if err != nil {
				t.Fatal(err)
			}
			m, err := f.Describe()
			if err != nil {
				t.Fatal(err)
			}
			for _, comp := range Components() {
				mod, _ := m.Module(comp)
				w, err := f.Weights(comp)
				if err != nil {
					t.Fatal(err)
				}
				got, err := w.LoadFloat32(mod)
				if err != nil {
					t.Fatalf("%s: %v", comp, err)
				}
				want := referenceTensors(t, filepath.Join(v.Dir, w.Files[0].File))
				n := 0
				for _, p := range mod.Params() {
					if !p.DType.IsFloat() {
						continue
					}
					n++
					g, ok := got[p.Name]
					if !ok {
						t.Fatalf("%s: %s not loaded", comp, p.Name)
					}
					w := want[p.Name]
					if len(g.Data) != len(w) || len(g.Data) != p.NumElements() {
						t.Fatalf("%s: %d values, file has %d, shape %v", p.Name, len(g.Data), len(w), p.Shape)
					}
					for i := range w {
						if math.Float32bits(g.Data[i]) != math.Float32bits(w[i]) {
							t.Fatalf("%s[%d] = %g, file has %g", p.Name, i, g.Data[i], w[i])
						}
					}
				}
				if n != len(got) || n != len(want) {
					t.Errorf("%s: %d float params, %d loaded, %d in the file", comp, n, len(got), len(want))
				}
			}
		})
	}
}

// referenceTensors decodes a float32 safetensors file with the safetensors library.
func referenceTensors(t *testing.T, file string) map[string][]float32 {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	st, err := safetensors.Deserialize(data)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]float32{}
	for _, nt := range st.Tensors() {
		if nt.TensorView.DType() != safetensors.F32 {
			t.Fatalf("%s: %s is %v, the fixtures are float32", file, nt.Name, nt.TensorView.DType())
		}
		raw := nt.TensorView.Data()
		vals := make([]float32, len(raw)/4)
		for i := range vals {
			vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		out[nt.Name] = vals
	}
	return out
}
