package residual

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
)

// TestImportPTFixtures: the official-format residuals each fixture variant lists under
// cases.layout_sampling.residuals import to exactly residual.<word> (the shared folders' dog.pt
// holds [32], mug.pt [1, 32]), named after the file unless a word is given.
func TestImportPTFixtures(t *testing.T) {
	for _, v := range fixture.Variants(t) {
		ls := v.Layout(t)
		if len(ls.Residuals) == 0 {
			t.Fatalf("%s: cases.json lists no residuals", v.Name)
		}
		for _, word := range ls.ResidualWords() {
			t.Run(v.Name+"/"+word, func(t *testing.T) {
				name := v.Path(ls.Residuals[word])
				data, err := os.ReadFile(name)
				if err != nil {
					t.Fatal(err)
				}
				r, err := ImportPT(name, data, "")
				if err != nil {
					t.Fatal(err)
				}
				if want := WordFromFileName(name); r.Word != want {
					t.Fatalf("word %q, want %q from the file name", r.Word, want)
				}
				r, err = ImportPT(name, data, word)
				if err != nil {
					t.Fatal(err)
				}
				want := v.Tensor(t, "residual."+word)
				if r.Word != word || r.Tokens != 1 || r.Width != len(want.F32) {
					t.Fatalf("word %q tokens %d width %d, want %q 1 %d", r.Word, r.Tokens, r.Width, word, len(want.F32))
				}
				for i := range want.F32 {
					if math.Float32bits(r.Data[i]) != math.Float32bits(want.F32[i]) {
						t.Fatalf("value %d: got %g, want %g", i, r.Data[i], want.F32[i])
					}
				}
				if !r.Model.IsZero() {
					t.Fatalf("an imported residual claims model %v", r.Model)
				}
				// Any word can be given instead of the file name.
				r2, err := ImportPT(name, data, "my "+word)
				if err != nil || r2.Word != "my "+word {
					t.Fatalf("explicit word: %v %v", r2, err)
				}
			})
		}
	}
}

// TestImportPTVariants reads files written by torch.save (testdata/pt/make.py): float32,
// float16 and bfloat16 storages, a strided view with an offset, requires_grad, pickle protocol 4.
func TestImportPTVariants(t *testing.T) {
	data, err := os.ReadFile("testdata/pt/want.json")
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Files map[string]struct {
			Shape []int    `json:"shape"`
			Bits  []uint32 `json:"bits"`
		} `json:"files"`
	}
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if len(want.Files) < 6 {
		t.Fatalf("want.json lists %d files", len(want.Files))
	}
	for name, w := range want.Files {
		t.Run(name, func(t *testing.T) {
			r := importFile(t, "testdata/pt/"+name)
			tokens, width := 1, w.Shape[0]
			if len(w.Shape) == 2 {
				tokens, width = w.Shape[0], w.Shape[1]
			}
			if r.Tokens != tokens || r.Width != width || r.Word != strings.TrimSuffix(name, ".pt") {
				t.Fatalf("got %d x %d %q, want %v", r.Tokens, r.Width, r.Word, w.Shape)
			}
			got := make([]uint32, len(r.Data))
			for i, v := range r.Data {
				got[i] = math.Float32bits(v)
			}
			if !slices.Equal(got, w.Bits) {
				t.Fatalf("values %v, want %v", r.Data, w.Bits)
			}
		})
	}
}

func importFile(t *testing.T, name string) *Residual {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ImportPT(name, data, "")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestImportPTRefusesNonResiduals(t *testing.T) {
	cases := map[string]string{
		"dict.pt":   "import dict.pt: data.pkl holds a dict, not a tensor",
		"int64.pt":  "pickle refers to torch.LongStorage, which a tensor file never needs",
		"scalar.pt": "tensor has shape []; a residual is [width] or [tokens, width]",
		"rank3.pt":  "tensor has shape [1 1 4]",
	}
	for name, want := range cases {
		data, err := os.ReadFile("testdata/pt/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ImportPT(name, data, ""); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", name, err, want)
		}
	}
}

// pk builds protocol-2 pickles by hand.
type pk struct{ bytes.Buffer }

func (p *pk) op(s string) *pk { p.WriteString(s); return p }
func (p *pk) global(mod, name string) *pk {
	return p.op("c" + mod + "\n" + name + "\n")
}
func (p *pk) str(s string) *pk {
	p.WriteByte('X')
	binary.Write(&p.Buffer, binary.LittleEndian, uint32(len(s)))
	return p.op(s)
}
func (p *pk) int(n int) *pk {
	p.WriteByte('J')
	binary.Write(&p.Buffer, binary.LittleEndian, int32(n))
	return p
}
func (p *pk) tuple(ns ...int) *pk {
	p.op("(")
	for _, n := range ns {
		p.int(n)
	}
	return p.op("t")
}

// tensorPickle is what torch.save writes for a tensor of the given storage and view.
func tensorPickle(storage string, numel, offset int, size, stride []int) []byte {
	p := &pk{}
	p.op("\x80\x02").global("torch._utils", "_rebuild_tensor_v2").op("((")
	p.str("storage").global("torch", storage).str("0").str("cpu").int(numel).op("tQ")
	p.int(offset).tuple(size...).tuple(stride...).op("\x89").global("collections", "OrderedDict").op(")R")
	p.op("tR.")
	return p.Bytes()
}

// ptZip writes a torch.save-style zip with the given records under "res/".
func ptZip(t testing.TB, records map[string][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	names := make([]string, 0, len(records))
	for n := range records {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		f, err := w.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		f.Write(records[n])
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func floats(v ...float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func TestImportPTHandMade(t *testing.T) {
	good := ptZip(t, map[string][]byte{
		"res/data.pkl": tensorPickle("FloatStorage", 6, 1, []int{2, 2}, []int{1, 3}),
		"res/data/0":   floats(0, 1, 2, 3, 4, 5),
		"res/version":  []byte("3\n"),
	})
	r, err := ImportPT("x/y/cat.pt", good, "")
	if err != nil {
		t.Fatal(err)
	}
	// Offset 1, rows stride 1, columns stride 3: [[1, 4], [2, 5]].
	if r.Word != "cat" || r.Tokens != 2 || r.Width != 2 || !slices.Equal(r.Data, []float32{1, 4, 2, 5}) {
		t.Fatalf("got %+v", r)
	}
	sumPickle := func(p []byte) []byte {
		return ptZip(t, map[string][]byte{"res/data.pkl": p, "res/data/0": floats(0, 1, 2, 3, 4, 5)})
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"os.system", sumPickle((&pk{}).op("\x80\x02").global("os", "system").str("echo hi").op("\x85R.").Bytes()),
			"pickle refers to os.system, which a tensor file never needs"},
		{"stack global builtins", sumPickle((&pk{}).op("\x80\x04").str("builtins").str("eval").op("\x93").str("1").op("\x85R.").Bytes()),
			"pickle refers to builtins.eval"},
		{"BUILD opcode", sumPickle([]byte("\x80\x02}}b.")), "pickle opcode 0x62 at byte 4 is not allowed"},
		{"huge BINBYTES8", sumPickle([]byte("\x80\x04\x8e\xff\xff\xff\xff\xff\xff\xff\x7f.")), "claims 9223372036854775807 bytes"},
		{"huge FRAME", sumPickle([]byte("\x80\x04\x95\xff\xff\xff\xff\x00\x00\x00\x00.")), "FRAME at byte 2 is longer than the file"},
		{"no STOP", sumPickle([]byte("\x80\x02N")), "pickle ends without STOP"},
		{"after STOP", sumPickle([]byte("\x80\x02N.N")), "1 bytes after STOP"},
		{"odd SETITEMS", sumPickle([]byte("\x80\x02}(K\x01u.")), "malformed pickle"},
		{"numel too large", sumPickle(tensorPickle("FloatStorage", 1<<21, 0, []int{2}, []int{1})), "holds 2097152 elements, at most 1048576"},
		{"record size mismatch", sumPickle(tensorPickle("FloatStorage", 7, 0, []int{2}, []int{1})), "record is 24 bytes, 7 FloatStorage elements need 28"},
		{"half record size", sumPickle(tensorPickle("HalfStorage", 6, 0, []int{2}, []int{1})), "record is 24 bytes, 6 HalfStorage elements need 12"},
		{"past the storage", sumPickle(tensorPickle("FloatStorage", 6, 4, []int{3}, []int{1})), "reaches past its storage of 6 elements"},
		{"huge stride", sumPickle(tensorPickle("FloatStorage", 6, 0, []int{2}, []int{1 << 30})), "stride 1073741824 exceeds its storage"},
		{"too wide", sumPickle(tensorPickle("FloatStorage", 6, 0, []int{5000}, []int{0})), "width 5000, want 1..4096"},
		{"missing record", ptZip(t, map[string][]byte{"res/data.pkl": tensorPickle("FloatStorage", 6, 0, []int{6}, []int{1})}),
			"storage 0 has no record res/data/0"},
		{"no data.pkl", ptZip(t, map[string][]byte{"res/other.pkl": []byte(".")}), "zip has no <name>/data.pkl"},
		{"torchscript", ptZip(t, map[string][]byte{"res/data.pkl": []byte("."), "res/constants.pkl": []byte(".")}), "TorchScript"},
		{"big endian", ptZip(t, map[string][]byte{"res/data.pkl": []byte("."), "res/byteorder": []byte("big")}), `byte order "big" is not supported`},
		{"legacy format", []byte("\x80\x02\x8a\nl\xfc\x9cF\xf9 j\xa8P\x19.\x80\x02M\xe9\x03."), "not a torch.save zip archive"},
		{"broken zip", []byte("PK\x03\x04 and nothing else"), "zip:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ImportPT("bad.pt", c.data, "")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
	if _, err := ImportPT("big.pt", make([]byte, MaxPTSize+1), ""); !errors.As(err, new(*TooLargeError)) {
		t.Fatalf("oversized file: %v", err)
	}
	if _, err := ImportPT("x.pt", good, "bad\x00word"); err == nil || !strings.Contains(err.Error(), "control characters") {
		t.Fatalf("bad word: %v", err)
	}
	nan := ptZip(t, map[string][]byte{
		"res/data.pkl": tensorPickle("FloatStorage", 2, 0, []int{2}, []int{1}),
		"res/data/0":   floats(1, float32(math.NaN())),
	})
	if _, err := ImportPT("nan.pt", nan, ""); err == nil || !strings.Contains(err.Error(), "value 1 is NaN") {
		t.Fatalf("NaN: %v", err)
	}
}

func TestWordFromFileName(t *testing.T) {
	for in, want := range map[string]string{
		"dog.pt": "dog", "residuals/mug.pt": "mug", `C:\Users\me\cat.pt`: "cat", "teddy bear.pt": "teddy bear", "noext": "noext",
	} {
		if got := WordFromFileName(in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}
