package wgsl

import (
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	src, err := Expand("matmul.wgsl", Defines{"W": "b", "W_F16": true, "W_HALF": false, "W_WORDS": true, "BIAS": false, "RESIDUAL": true, "DIRECT": false, "ACT": 3,
		"VEC4": false, "VEC4_DIRECT": false, "VEC4_BLOCK": "", "WG": 16, "BIAS_BINDING": 3, "R_BINDING": 3, "C_BINDING": 4, "T": 64})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"unpack2x16float", "fn silu", "let kind = 3u;", "@binding(3) var<storage, read> r"} {
		if !strings.Contains(src, want) {
			t.Errorf("expanded source lacks %q", want)
		}
	}
	for _, bad := range []string{"#if", "#endif", "{{", "bias[p.bias_off"} {
		if strings.Contains(src, bad) {
			t.Errorf("expanded source still has %q", bad)
		}
	}
}

func TestExpandErrors(t *testing.T) {
	cases := []struct {
		name string
		defs Defines
		want string
	}{
		{"undefined flag", Defines{"W": "b", "VEC4": false, "BIAS": true, "RESIDUAL": true, "ACT": 0, "BIAS_BINDING": 3, "R_BINDING": 4, "C_BINDING": 5, "T": 64}, "#if W_HALF: not defined"},
		{"flag not bool", Defines{"W": "b", "VEC4": false, "W_HALF": false, "W_F16": 1, "BIAS": true, "RESIDUAL": true, "DIRECT": false, "ACT": 0, "BIAS_BINDING": 3, "R_BINDING": 4, "C_BINDING": 5, "T": 64}, "is not a bool"},
		{"undefined constant", Defines{"W": "b", "VEC4": false, "W_F16": true, "W_HALF": false, "W_WORDS": true, "BIAS": true, "RESIDUAL": true, "DIRECT": false, "BIAS_BINDING": 3, "R_BINDING": 4, "C_BINDING": 5, "T": 64}, "{{ACT}}: not defined"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Expand("matmul.wgsl", c.defs)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}
	if _, err := Expand("nope.wgsl", nil); err == nil {
		t.Error("missing file: no error")
	}
}

func TestExpandNesting(t *testing.T) {
	// the directive machinery on a synthetic line set, via expand's line handling
	lines := "a\n#if X\nb\n#if !Y\nc\n#else\nd\n#endif\n#else\ne\n#endif\nf{{N}}\n"
	got, err := expandString("t", lines, Defines{"X": true, "Y": false, "N": 7})
	if err != nil {
		t.Fatal(err)
	}
	if want := "a\nb\nc\nf7\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	got, _ = expandString("t", lines, Defines{"X": false, "Y": true, "N": 1})
	if want := "a\ne\nf1\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, bad := range []string{"#if X\n", "#endif\n", "#else\n", "#pragma\n", "{{N\n"} {
		if _, err := expandString("t", bad, Defines{"X": true, "N": 1}); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// expandString expands src as if it were the file name (the directives tested on sources of their own).
func expandString(name, src string, defs Defines) (string, error) {
	var b strings.Builder
	err := expandLines(&b, name, src, defs, 0)
	return b.String(), err
}
