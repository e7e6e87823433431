package residual

import (
	"errors"
	"os"
	"reflect"
	"testing"
)

// FuzzUnmarshal: the residual file reader never panics, and whatever it accepts is a valid
// residual that survives a Marshal/Unmarshal round trip unchanged.
func FuzzUnmarshal(f *testing.F) {
	for _, tc := range [][2]int{{1, 4}, {2, 3}} {
		data, err := sample(tc[0], tc[1]).Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(rawFile(`{"__metadata__":{`+goodMeta+`},"residual":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, floats(1, 2)))
	f.Add(rawFile(`{"residual":{"dtype":"F16","shape":[1,2],"data_offsets":[0,4]}}`, floats(1)))
	f.Add([]byte("\x08\x00\x00\x00\x00\x00\x00\x00{}      "))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Unmarshal(data)
		if err != nil {
			return
		}
		if err := r.validate(); err != nil {
			t.Fatalf("accepted an invalid residual: %v", err)
		}
		out, err := r.Marshal()
		if err != nil {
			t.Fatalf("Marshal of an accepted residual: %v", err)
		}
		back, err := Unmarshal(out)
		if err != nil {
			t.Fatalf("re-Unmarshal: %v", err)
		}
		if !back.Created.Equal(r.Created) {
			t.Fatal("creation time changed")
		}
		back.Created = r.Created
		if !reflect.DeepEqual(back, r) {
			t.Fatalf("round trip changed %+v into %+v", r, back)
		}
	})
}

// FuzzImportPT: the .pt importer never panics (a panic inside gopickle is turned into
// errMalformed), and an accepted file gives a residual of consistent shape and finite values.
func FuzzImportPT(f *testing.F) {
	for _, name := range []string{"float_2x5.pt", "half_2x4.pt", "strided_view.pt", "protocol4_9.pt", "dict.pt"} {
		data, err := os.ReadFile("testdata/pt/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(ptZip(f, map[string][]byte{
		"res/data.pkl": tensorPickle("FloatStorage", 6, 1, []int{2, 2}, []int{1, 3}),
		"res/data/0":   floats(0, 1, 2, 3, 4, 5),
	}))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ImportPT("fuzz.pt", data, "")
		if err != nil {
			if errors.Is(err, errMalformed) {
				t.Logf("gopickle panicked, recovered: %v", err)
			}
			return
		}
		if r.Word != "fuzz" || len(r.Data) != r.Tokens*r.Width || checkShape(r.Tokens, r.Width) != nil || checkFinite(r.Data) != nil {
			t.Fatalf("accepted %d x %d with %d values", r.Tokens, r.Width, len(r.Data))
		}
	})
}

// FuzzImportPTPickle fuzzes data.pkl inside a well-formed archive (mutating a whole zip mostly
// breaks its checksums), with a 6-float storage record "0" to point at.
func FuzzImportPTPickle(f *testing.F) {
	f.Add(tensorPickle("FloatStorage", 6, 1, []int{2, 2}, []int{1, 3}))
	f.Add(tensorPickle("HalfStorage", 12, 0, []int{3}, []int{2}))
	f.Add([]byte("\x80\x04\x95\x8b\x00\x00\x00\x00\x00\x00\x00\x8c\x0ctorch._utils\x94\x8c\x12_rebuild_tensor_v2\x94\x93\x94((" +
		"\x8c\x07storage\x94\x8c\x05torch\x94\x8c\x0cFloatStorage\x94\x93\x94\x8c\x010\x94\x8c\x03cpu\x94K\x06t\x94QK\x00K\x06\x85\x94" +
		"K\x01\x85\x94\x89\x8c\x0bcollections\x94\x8c\x0bOrderedDict\x94\x93\x94)R\x94t\x94R\x94."))
	f.Add([]byte("\x80\x02}(K\x01u."))
	f.Fuzz(func(t *testing.T, pkl []byte) {
		data := ptZip(t, map[string][]byte{"res/data.pkl": pkl, "res/data/0": floats(0, 1, 2, 3, 4, 5)})
		r, err := ImportPT("fuzz.pt", data, "")
		if err != nil {
			return
		}
		if len(r.Data) != r.Tokens*r.Width || checkShape(r.Tokens, r.Width) != nil {
			t.Fatalf("accepted %d x %d with %d values", r.Tokens, r.Width, len(r.Data))
		}
	})
}
