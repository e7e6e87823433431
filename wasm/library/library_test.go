package library

import (
	"bytes"
	"image"
	"image/png"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cones2web/cones2/cones/pngtext"
	"github.com/cones2web/cones2/cones/settings"
)

func subject(word string, data string) Subject {
	var v []float32
	for _, c := range []byte(data) {
		v = append(v, float32(c))
	}
	return Subject{ID: VectorID(v), Word: word, Model: "sd21base", Fingerprint: "f00d", Width: 1024,
		Size: len(data), Source: word + ".pt", Added: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Data: []byte(data)}
}

func TestSubjectRecordRoundTrip(t *testing.T) {
	s := subject("dog", "residual bytes")
	meta, err := s.MarshalMeta()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(meta, []byte("residual bytes")) {
		t.Error("meta holds the data")
	}
	got, err := UnmarshalSubject(meta, s.Data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Errorf("got %+v\nwant %+v", got, s)
	}
	if _, err := UnmarshalSubject(meta, []byte("residual byte")); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("changed data: %v", err)
	}
	if _, err := UnmarshalSubject([]byte("{"), s.Data); err == nil {
		t.Error("broken meta accepted")
	}
	bad := s
	bad.Word = "two words"
	meta, _ = bad.MarshalMeta()
	if _, err := UnmarshalSubject(meta, s.Data); err == nil || !strings.Contains(err.Error(), "one word") {
		t.Errorf("stored bad word: %v", err)
	}
}

func TestVectorID(t *testing.T) {
	a := VectorID([]float32{1, 2, 3})
	if a != VectorID([]float32{1, 2, 3}) || a == VectorID([]float32{1, 2, 3.0000002}) || a == VectorID([]float32{1, 2}) {
		t.Error("VectorID does not identify the values")
	}
	// Pinned: the bytes hashed are float32 little-endian, so IDs agree across platforms and builds.
	if got := VectorID([]float32{1}); got != "e00e5eb9444182f352323374ef4e08ebcb784725fdd4fd612d7730540b3e0c8c" {
		t.Errorf("VectorID([1]) = %s", got)
	}
}

func TestCheckWordAndRename(t *testing.T) {
	for _, w := range []string{"dog", "sks", "my_dog-2", "café", "o'neil"} {
		if err := CheckWord(w); err != nil {
			t.Errorf("%q: %v", w, err)
		}
	}
	for w, want := range map[string]string{"": "empty", "a dog": "one word", "dog!": "one word",
		strings.Repeat("a", 65): "at most 64", "\tdog": "one word"} {
		if err := CheckWord(w); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want %q", w, err, want)
		}
	}
	list := []Subject{subject("dog", "a"), subject("mug", "b")}
	if err := CheckRename(list, list[0].ID, "Mug"); err == nil || !strings.Contains(err.Error(), `already called "mug"`) {
		t.Errorf("rename onto another subject's word: %v", err)
	}
	if err := CheckRename(list, list[0].ID, "DOG"); err != nil {
		t.Errorf("changing only case of its own word: %v", err)
	}
	if err := CheckRename(list, list[0].ID, "rex"); err != nil {
		t.Error(err)
	}
}

func TestFreeWordSortFind(t *testing.T) {
	list := []Subject{subject("mug", "b"), subject("dog", "a"), subject("Dog2", "c")}
	if got := FreeWord(list, "dog"); got != "dog3" {
		t.Errorf("FreeWord = %q", got)
	}
	if got := FreeWord(list, "cat"); got != "cat" {
		t.Errorf("FreeWord = %q", got)
	}
	Sort(list)
	var words []string
	for _, s := range list {
		words = append(words, s.Word)
	}
	if strings.Join(words, ",") != "dog,Dog2,mug" {
		t.Errorf("sorted %v", words)
	}
	if s, ok := Find(list, "MUG"); !ok || s.Word != "mug" {
		t.Errorf("Find: %v %v", s, ok)
	}
	if _, ok := Find(list, "cat"); ok {
		t.Error("found cat")
	}
}

func TestExportNames(t *testing.T) {
	s := subject("dog", "x")
	if s.ExportName() != "dog.safetensors" {
		t.Error(s.ExportName())
	}
	s.Word = `a/b\c`
	if s.ExportName() != "a_b_c.safetensors" {
		t.Error(s.ExportName())
	}
	it := Item{Settings: settings.Settings{Prompt: "a mug and a dog on the beach at night", Seed: 7}}
	if got := it.FileName(); got != "cones2-a-mug-and-a-dog-on-seed7.png" {
		t.Error(got)
	}
	it.Settings.Prompt = ""
	if got := it.FileName(); got != "cones2-image-seed7.png" {
		t.Error(got)
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1.0 kB", 4224: "4.2 kB",
		1_500_000: "1.5 MB", 2_600_000_000: "2.6 GB"} {
		if got := HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func encodedPNG(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGalleryItemCarriesSettings(t *testing.T) {
	s := settings.Defaults(128, 128)
	s.Prompt = "a mug and a dog, très bien"
	s.Seed = 99
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	it, err := NewItem(encodedPNG(t), s, now)
	if err != nil {
		t.Fatal(err)
	}
	if it.ID != now.UnixMilli() {
		t.Errorf("id %d", it.ID)
	}
	back, err := settings.FromPNG(it.PNG)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, s) {
		t.Errorf("settings from PNG %+v\nwant %+v", back, s)
	}
	if _, err := png.Decode(bytes.NewReader(it.PNG)); err != nil {
		t.Errorf("image no longer decodes: %v", err)
	}
	meta, err := it.MarshalMeta()
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalItem(meta, it.PNG)
	if err != nil || !reflect.DeepEqual(got, it) {
		t.Errorf("item round trip: %v\n%+v\n%+v", err, got, it)
	}
	if !strings.Contains(it.Caption(), "seed 99, 128×128") {
		t.Error(it.Caption())
	}
	if _, err := settings.FromPNG(encodedPNG(t)); err == nil || !strings.Contains(err.Error(), "no \"cones2\"") {
		t.Errorf("plain PNG: %v", err)
	}
	other, _ := pngtext.Write(encodedPNG(t), settings.PNGKeyword, `{"format":"x"}`)
	if _, err := settings.FromPNG(other); err == nil {
		t.Error("foreign settings accepted")
	}
	if _, err := NewItem([]byte("not a png"), s, now); err == nil {
		t.Error("NewItem accepted a non-PNG")
	}
}

func FuzzUnmarshalSubject(f *testing.F) {
	s := subject("dog", "residual bytes")
	meta, _ := s.MarshalMeta()
	f.Add(meta, s.Data)
	f.Add([]byte(`{"word":"x","size":0}`), []byte{})
	f.Fuzz(func(t *testing.T, meta, data []byte) {
		got, err := UnmarshalSubject(meta, data)
		if err != nil {
			return
		}
		if CheckWord(got.Word) != nil || got.Size != len(data) {
			t.Fatalf("accepted a record that breaks the rules: %+v", got)
		}
	})
}
