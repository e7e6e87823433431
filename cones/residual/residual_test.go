package residual

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

var (
	sd2 = Model{Family: "sd2", TextEncoder: "3f2a1b0c9d8e7f60a1b2c3d4e5f60718"}
	sd1 = Model{Family: "sd1", TextEncoder: "9b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"}
)

func sample(tokens, width int) *Residual {
	r := &Residual{
		Word: "dog", Tokens: tokens, Width: width, Model: sd2,
		Data:    make([]float32, tokens*width),
		Created: time.Date(2025, 3, 4, 5, 6, 7, 890, time.UTC),
		Training: map[string]string{
			"steps": "1000", "lr": "5e-06", "templates": "cones2-default-24", "instance_prompt": "dog",
			"train_batch_size": "1", "mixed_precision": "no", "token_num": "1", "seed": "0",
		},
	}
	for i := range r.Data {
		r.Data[i] = float32(math.Sin(float64(i))) * 0.37
	}
	return r
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct{ tokens, width int }{{1, 1024}, {3, 768}, {1, 1}} {
		r := sample(tc.tokens, tc.width)
		data, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Unmarshal(data)
		if err != nil {
			t.Fatalf("%dx%d: %v", tc.tokens, tc.width, err)
		}
		if !back.Created.Equal(r.Created) {
			t.Fatalf("created %v, want %v", back.Created, r.Created)
		}
		back.Created = r.Created
		if !reflect.DeepEqual(back, r) {
			t.Fatalf("round trip %dx%d changed the residual", tc.tokens, tc.width)
		}
		if tc.tokens > 1 && !slicesEqual(back.Row(2), r.Data[2*tc.width:]) {
			t.Fatal("Row")
		}
	}
}

func slicesEqual(a, b []float32) bool { return reflect.DeepEqual(a, b) }

func TestFileIsSmall(t *testing.T) {
	data, err := sample(1, 1024).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if len(data) >= 8<<10 {
		t.Fatalf("a 1024-wide residual takes %d bytes, want under 8 KiB", len(data))
	}
	t.Logf("1024-wide residual: %d bytes", len(data))
}

func TestLoadChecksModel(t *testing.T) {
	data, err := sample(1, 1024).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Load(data, sd2, 1024); err != nil {
		t.Fatalf("same model: %v", err)
	}
	_, err = Load(data, sd1, 768)
	var mm *ModelMismatchError
	if !errors.As(err, &mm) || mm.File != sd2 || mm.Have != sd1 {
		t.Fatalf("other model: %v", err)
	}
	want := `residual for "dog" was made for sd2 text encoder 3f2a1b0c…, this model is sd1 text encoder 9b1c2d3e…`
	if err.Error() != want {
		t.Fatalf("message %q\nwant    %q", err, want)
	}
	// Same family, another fine-tune of the text encoder: still refused.
	other := Model{Family: "sd2", TextEncoder: "ffff"}
	if _, err := Load(data, other, 1024); !errors.As(err, &mm) {
		t.Fatalf("other fingerprint: %v", err)
	}
	_, err = Load(data, sd2, 768)
	var wm *WidthMismatchError
	if !errors.As(err, &wm) || wm.Got != 1024 || wm.Want != 768 ||
		err.Error() != `residual for "dog" is 1024 wide, this text encoder is 768 wide` {
		t.Fatalf("width: %v", err)
	}
	// An imported residual (no model yet) is only checked for width.
	imp := &Residual{Word: "mug", Tokens: 1, Width: 4, Data: make([]float32, 4)}
	if err := imp.Check(sd1, 4); err != nil {
		t.Fatalf("imported: %v", err)
	}
	if err := imp.Check(sd1, 5); !errors.As(err, &wm) {
		t.Fatalf("imported width: %v", err)
	}
}

func TestTooLargeRefusedBeforeParsing(t *testing.T) {
	big := make([]byte, MaxFileSize+1)
	_, err := Unmarshal(big)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Size != MaxFileSize+1 || !strings.Contains(err.Error(), "more than the 524288 a residual can need") {
		t.Fatalf("Unmarshal: %v", err)
	}
}

func TestMarshalValidates(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Residual)
		want string
	}{
		{"empty word", func(r *Residual) { r.Word = "" }, "empty word"},
		{"control word", func(r *Residual) { r.Word = "do\ng" }, "control characters"},
		{"nan", func(r *Residual) { r.Data[3] = float32(math.NaN()) }, "value 3 is NaN"},
		{"inf", func(r *Residual) { r.Data[0] = float32(math.Inf(-1)) }, "value 0 is -Inf"},
		{"short data", func(r *Residual) { r.Data = r.Data[:5] }, "5 values for 1 tokens of width 8"},
		{"no family", func(r *Residual) { r.Model.Family = "" }, "model family not set"},
		{"no fingerprint", func(r *Residual) { r.Model.TextEncoder = "" }, "text encoder fingerprint not set"},
		{"no time", func(r *Residual) { r.Created = time.Time{} }, "creation time not set"},
		{"zero tokens", func(r *Residual) { r.Tokens = 0 }, "0 tokens, want 1..16"},
		{"too wide", func(r *Residual) { r.Width = 5000 }, "width 5000, want 1..4096"},
		{"bad key", func(r *Residual) { r.Training["Learning Rate"] = "1" }, `training setting key "Learning Rate"`},
		{"bad value", func(r *Residual) { r.Training["lr"] = "1\x00" }, `training setting "lr": value must be printable`},
	}
	for _, c := range cases {
		r := sample(1, 8)
		c.edit(r)
		if _, err := r.Marshal(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

// rawFile assembles a safetensors file from a header and data.
func rawFile(header string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

const goodMeta = `"format":"cones2.residual","format_version":"1","word":"dog","model_family":"sd2",` +
	`"text_encoder":"abc","width":"2","tokens":"1","created":"2025-01-02T03:04:05Z"`

func TestUnmarshalErrors(t *testing.T) {
	two := floats(1, 2)
	tensor := `"residual":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}`
	file := func(meta, tensors string, data []byte) []byte {
		return rawFile(`{"__metadata__":{`+meta+`},`+tensors+`}`, data)
	}
	if r, err := Unmarshal(file(goodMeta, tensor, two)); err != nil || r.Data[1] != 2 {
		t.Fatalf("the good file of this test is refused: %v", err)
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"short", []byte{1, 2, 3}, "too short for a safetensors header"},
		{"header too long", rawFile(strings.Repeat(" ", 70000), nil), "header length 70000 does not fit"},
		{"header past end", append(binary.LittleEndian.AppendUint64(nil, 500), "{}"...), "header length 500 does not fit"},
		{"not json", rawFile("{nope", nil), "not a valid safetensors file"},
		{"trailing data", append(file(goodMeta, tensor, two), 0), "not a valid safetensors file"},
		{"no tensor", file(goodMeta, `"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}`, two), `holds tensors ["x"], want exactly "residual"`},
		{"two tensors", file(goodMeta, tensor+`,"y":{"dtype":"F32","shape":[0],"data_offsets":[8,8]}`, two), `holds tensors ["residual" "y"]`},
		{"f16", file(goodMeta, `"residual":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}`, two[:4]), "tensor \"residual\" is F16, want F32"},
		{"shape mismatch", file(goodMeta, `"residual":{"dtype":"F32","shape":[2,1],"data_offsets":[0,8]}`, two), "tensor shape [2 1] does not match the metadata"},
		{"other format", file(strings.Replace(goodMeta, "cones2.residual", "lora", 1), tensor, two), `"format" is "lora", not "cones2.residual": not a residual file`},
		{"newer version", file(strings.Replace(goodMeta, `"format_version":"1"`, `"format_version":"2"`, 1), tensor, two), `residual file format version "2" is not 1`},
		{"unknown key", file(goodMeta+`,"colour":"red"`, tensor, two), `unknown metadata key "colour"`},
		{"bad width", file(strings.Replace(goodMeta, `"width":"2"`, `"width":"two"`, 1), tensor, two), `metadata "width" is "two", not an integer`},
		{"zero tokens", file(strings.Replace(goodMeta, `"tokens":"1"`, `"tokens":"0"`, 1), tensor, two), "0 tokens, want 1..16"},
		{"bad time", file(strings.Replace(goodMeta, "2025-01-02T03:04:05Z", "yesterday", 1), tensor, two), `"created" is "yesterday", not an RFC 3339 time`},
		{"no model", file(strings.Replace(goodMeta, `"model_family":"sd2",`, "", 1), tensor, two), "model family not set"},
		{"nan", file(goodMeta, tensor, floats(1, float32(math.NaN()))), `residual file for "dog": value 1 is NaN`},
		{"metadata not strings", rawFile(`{"__metadata__":{"width":2},`+tensor+`}`, two), "not a valid safetensors file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Unmarshal(c.data)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
	var ve *VersionError
	if _, err := Unmarshal(file(strings.Replace(goodMeta, `"format_version":"1"`, `"format_version":"9"`, 1), tensor, two)); !errors.As(err, &ve) {
		t.Fatalf("version error not typed: %v", err)
	}
}

func TestImportedThenSaved(t *testing.T) {
	good := ptZip(t, map[string][]byte{
		"res/data.pkl": tensorPickle("FloatStorage", 3, 0, []int{1, 3}, []int{3, 1}),
		"res/data/0":   floats(0.5, -1, 2),
	})
	r, err := ImportPT("hat.pt", good, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Marshal(); err == nil {
		t.Fatal("a residual without a model was saved")
	}
	r.Model, r.Created = sd2, time.Unix(1700000000, 0)
	data, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Load(data, sd2, 3)
	if err != nil || back.Word != "hat" || !slicesEqual(back.Data, []float32{0.5, -1, 2}) {
		t.Fatalf("%v %+v", err, back)
	}
}
