package weights

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
	"github.com/nlpodyssey/safetensors"
)

// FuzzParseHeader checks that no input makes the header validator panic, and that whatever it
// accepts really is consistent: ranges inside the file, tiling the data area, byte counts that
// match dtype × shape, and readable.
func FuzzParseHeader(f *testing.F) {
	f.Add(stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)))
	f.Add(stFile(`{"__metadata__":{"format":"pt"},"a":{"dtype":"BF16","shape":[2,0],"data_offsets":[0,0]},"b":{"dtype":"I64","shape":[],"data_offsets":[0,8]}}`, make([]byte, 8)))
	f.Add(stFile(`{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"F16","shape":[1],"data_offsets":[2,4]}}`, make([]byte, 4)))
	f.Add([]byte{8, 0, 0, 0, 0, 0, 0, 0, '{', '}'})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		h, err := ParseHeader("fuzz", r, int64(len(data)))
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FormatError", err)
			}
			return
		}
		at := h.DataStart
		for _, ti := range h.Tensors {
			if ti.Begin != at || ti.End < ti.Begin || ti.End > h.Size {
				t.Fatalf("%s: range [%d, %d) after %d in a %d-byte file", ti.Name, ti.Begin, ti.End, at, h.Size)
			}
			if int64(ti.NumElements()*ti.DType.Size()) != ti.End-ti.Begin {
				t.Fatalf("%s: %v × %s does not fill [%d, %d)", ti.Name, ti.Shape, ti.DType, ti.Begin, ti.End)
			}
			at = ti.End
			if ti.DType.IsFloat() {
				if _, err := h.ReadFloat32(r, ti.Name); err != nil {
					t.Fatal(err)
				}
			}
		}
		if at != h.Size {
			t.Fatalf("data area ends at %d in a %d-byte file", at, h.Size)
		}
		// Differential check: whatever this validator accepts, the safetensors library
		// (a looser reader) must read the same way.
		_, md, err := safetensors.ReadMetadata(data)
		if err != nil {
			t.Fatalf("accepted, but the safetensors library refuses it: %v", err)
		}
		lib := md.Tensors()
		if len(lib) != len(h.Tensors) {
			t.Fatalf("%d tensors, library %d", len(h.Tensors), len(lib))
		}
		for _, ti := range h.Tensors {
			li, ok := lib[ti.Name]
			if !ok || li.DType.String() != string(ti.DType) || int64(li.DataOffsets[0])+h.DataStart != ti.Begin || len(li.Shape) != len(ti.Shape) {
				t.Fatalf("%s: library reads %+v, we %+v", ti.Name, li, ti)
			}
		}
	})
}

// FuzzParseConfig runs the three config parsers on the same input. Whatever a parser accepts
// must describe a well-formed network: positive dimensions, unique names, and for the UNet a
// skip stack that the up path consumes exactly.
func FuzzParseConfig(f *testing.F) {
	root, err := fixture.Root()
	if err == nil {
		for _, glob := range []string{"*/*/config.json", "external/sd21-configs/*/*/config.json"} {
			files, _ := filepath.Glob(filepath.Join(root, glob))
			for _, p := range files {
				if data, err := os.ReadFile(p); err == nil {
					f.Add(data)
				}
			}
		}
	}
	f.Add([]byte(`{"attention_head_dim":[1,2],"block_out_channels":[32,64],"down_block_types":["CrossAttnDownBlock2D","DownBlock2D"],"up_block_types":["UpBlock2D","CrossAttnUpBlock2D"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if c, err := ParseUNetConfig(data); err == nil {
			u, err := DescribeUNet(c)
			if err != nil {
				t.Fatalf("accepted config fails to describe: %v", err)
			}
			checkParams(t, u)
			n := 0
			for _, b := range u.Up {
				n += len(b.Resnets)
			}
			if n != len(u.SkipChannels()) {
				t.Fatalf("%d up resnets for %d skips", n, len(u.SkipChannels()))
			}
		}
		if c, err := ParseVAEConfig(data); err == nil {
			v, err := DescribeVAE(c)
			if err != nil {
				t.Fatalf("accepted config fails to describe: %v", err)
			}
			checkParams(t, v)
		}
		if c, err := ParseTextEncoderConfig(data); err == nil {
			te, err := DescribeTextEncoder(c)
			if err != nil {
				t.Fatalf("accepted config fails to describe: %v", err)
			}
			checkParams(t, te)
		}
	})
}

func checkParams(t *testing.T, m Module) {
	t.Helper()
	seen := map[string]bool{}
	for _, p := range m.Params() {
		if seen[p.Name] {
			t.Fatalf("%s described twice", p.Name)
		}
		seen[p.Name] = true
		for _, d := range p.Shape {
			if d <= 0 {
				t.Fatalf("%s: shape %v", p.Name, p.Shape)
			}
		}
	}
}
