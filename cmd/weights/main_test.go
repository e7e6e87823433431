package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cones2web/cones2/weights"
)

func runCmd(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsage(t *testing.T) {
	cases := []struct {
		args   []string
		code   int
		stream string // "out" or "err"
		want   string
	}{
		{nil, 2, "err", "Commands:"},
		{[]string{"help"}, 0, "out", "convert -in"},
		{[]string{"frobnicate"}, 2, "err", `unknown command "frobnicate"`},
		{[]string{"tiny", "-h"}, 0, "err", "-variant"},
		{[]string{"convert", "-in", "x"}, 2, "err", "flag -out is required"},
		{[]string{"verify"}, 2, "err", "flag -dir is required"},
		{[]string{"verify", "-dir", "a", "extra"}, 2, "err", `unexpected argument "extra"`},
		{[]string{"tiny", "-bogus"}, 2, "err", "flag provided but not defined"},
	}
	for _, c := range cases {
		code, out, errs := runCmd(c.args...)
		got := map[string]string{"out": out, "err": errs}[c.stream]
		if code != c.code || !strings.Contains(got, c.want) {
			t.Errorf("%v: exit %d, %s %q; want exit %d and %q", c.args, code, c.stream, got, c.code, c.want)
		}
	}
}

// TestTinyConvertVerify runs the three commands end to end: a float32 tiny model converted to
// a served folder verifies; damaging it makes verify exit 1 naming the file.
func TestTinyConvertVerify(t *testing.T) {
	tmp := t.TempDir()
	src, dst := filepath.Join(tmp, "src"), filepath.Join(tmp, "dst")
	if code, _, errs := runCmd("tiny", "-out", src, "-seed", "5", "-variant", "sd15", "-f32"); code != 0 {
		t.Fatalf("tiny: exit %d: %s", code, errs)
	}
	if code, out, errs := runCmd("convert", "-in", src, "-out", dst); code != 0 || !strings.Contains(out, "wrote "+dst) {
		t.Fatalf("convert: exit %d: %s %s", code, out, errs)
	}
	if code, out, errs := runCmd("verify", "-dir", dst); code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("verify: exit %d: %s %s", code, out, errs)
	}
	p := filepath.Join(dst, "text_encoder", "model.safetensors")
	data, _ := os.ReadFile(p)
	data[len(data)-2] ^= 0x40
	os.WriteFile(p, data, 0o644)
	code, _, errs := runCmd("verify", "-dir", dst)
	if code != 1 || !strings.Contains(errs, "text_encoder/model.safetensors: sha256") {
		t.Fatalf("verify of a damaged folder: exit %d: %s", code, errs)
	}
	if code, _, errs := runCmd("convert", "-in", src, "-out", dst); code != 1 || !strings.Contains(errs, "not empty") {
		t.Fatalf("convert into a full folder: exit %d: %s", code, errs)
	}
	if code, _, errs := runCmd("tiny", "-out", filepath.Join(tmp, "x"), "-variant", "sd3"); code != 1 || !strings.Contains(errs, `unknown variant "sd3"`) {
		t.Fatalf("bad variant: exit %d: %s", code, errs)
	}
}

// TestTinyLike: -like makes the tiny model with another model folder's configs, and names a
// folder it cannot open.
func TestTinyLike(t *testing.T) {
	tmp := t.TempDir()
	src, out := filepath.Join(tmp, "src"), filepath.Join(tmp, "out")
	if code, _, errs := runCmd("tiny", "-out", src, "-variant", "sd15"); code != 0 {
		t.Fatalf("tiny: exit %d: %s", code, errs)
	}
	// -variant is the default sd21base here: the folder wins.
	if code, _, errs := runCmd("tiny", "-out", out, "-like", src); code != 0 {
		t.Fatalf("tiny -like: exit %d: %s", code, errs)
	}
	got, err := weights.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := weights.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.UNet, want.UNet) || !reflect.DeepEqual(got.TextEncoder, want.TextEncoder) {
		t.Errorf("tiny -like configs differ: %+v %+v, want %+v %+v", got.UNet, got.TextEncoder, want.UNet, want.TextEncoder)
	}
	missing := filepath.Join(tmp, "no-such-model")
	if code, _, errs := runCmd("tiny", "-out", filepath.Join(tmp, "x"), "-like", missing); code != 1 || !strings.Contains(errs, missing) {
		t.Fatalf("missing -like folder: exit %d: %s", code, errs)
	}
}
