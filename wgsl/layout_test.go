package wgsl

import (
	"fmt"
	"io/fs"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

var structRE = regexp.MustCompile(`(?s)struct Params \{(.*?)\}`)

// wgslFields parses `name: type` members of struct Params.
func wgslFields(src string) ([][2]string, error) {
	m := structRE.FindStringSubmatch(src)
	if m == nil {
		return nil, fmt.Errorf("no struct Params")
	}
	var out [][2]string
	for _, line := range strings.Split(m[1], "\n") {
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		for _, f := range strings.Split(line, ",") {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			nt := strings.SplitN(f, ":", 2)
			if len(nt) != 2 {
				return nil, fmt.Errorf("member %q", f)
			}
			out = append(out, [2]string{strings.TrimSpace(nt[0]), strings.TrimSpace(nt[1])})
		}
	}
	return out, nil
}

func norm(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }

// TestParamsLayout checks every family's Go Params against its WGSL struct: same members in the
// same order (names compared without case and underscores), same 4-byte scalar types, and an
// Encode size that covers the struct.
func TestParamsLayout(t *testing.T) {
	wgslType := map[reflect.Kind]string{reflect.Uint32: "u32", reflect.Int32: "i32", reflect.Float32: "f32"}
	for _, k := range Variants() {
		name := fmt.Sprintf("%s/%+v", k.Family(), k)
		t.Run(name, func(t *testing.T) {
			src, err := k.Source()
			if err != nil {
				t.Fatal(err)
			}
			fields, err := wgslFields(src)
			if err != nil {
				t.Fatal(err)
			}
			p := ParamsOf(k)
			rt := reflect.TypeOf(p)
			if rt.NumField() != len(fields) {
				t.Fatalf("Go %s has %d fields, WGSL struct %d", rt, rt.NumField(), len(fields))
			}
			for i, f := range fields {
				gf := rt.Field(i)
				if norm(gf.Name) != norm(f[0]) {
					t.Errorf("field %d: Go %s, WGSL %s", i, gf.Name, f[0])
				}
				if want := wgslType[gf.Type.Kind()]; want != f[1] {
					t.Errorf("field %s: Go %s (%s), WGSL %s", gf.Name, gf.Type, want, f[1])
				}
			}
			b, err := Encode(p)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) < 4*len(fields) || len(b)%16 != 0 {
				t.Errorf("Encode gave %d bytes for %d members", len(b), len(fields))
			}
		})
	}
}

// TestBindingsDeclared checks that each variant's source declares exactly the bindings Bindings()
// lists (binding 0 the uniform), with the matching access mode; pipelines use layout "auto", so an
// unused or missing binding would fail only in the browser.
func TestBindingsDeclared(t *testing.T) {
	decl := regexp.MustCompile(`@binding\((\d+)\) var<(storage, read_write|storage, read|uniform)> (\w+)`)
	for _, k := range Variants() {
		t.Run(fmt.Sprintf("%s/%+v", k.Family(), k), func(t *testing.T) {
			src, err := k.Source()
			if err != nil {
				t.Fatal(err)
			}
			got := decl.FindAllStringSubmatch(src, -1)
			want := k.Bindings()
			if len(got) != len(want)+1 {
				t.Fatalf("%d bindings declared, want %d + uniform: %v", len(got), len(want), got)
			}
			for i, g := range got {
				if g[1] != fmt.Sprint(i) {
					t.Errorf("declaration %d has binding %s", i, g[1])
				}
				if i == 0 {
					if g[2] != "uniform" {
						t.Errorf("binding 0 is %s, want uniform", g[2])
					}
					continue
				}
				w := want[i-1]
				if (g[2] == "storage, read_write") != w.Write {
					t.Errorf("binding %d (%s): access %q, Bindings says write=%v", i, g[3], g[2], w.Write)
				}
				// the variable must be used beyond its declaration, or layout "auto" drops it
				if strings.Count(src, g[3]+"[")+strings.Count(src, "&"+g[3]) == 0 {
					t.Errorf("binding %d (%s) is declared but never indexed", i, g[3])
				}
			}
		})
	}
}

// TestEverySourceUsed fails when a .wgsl file is neither a family nor included by one.
func TestEverySourceUsed(t *testing.T) {
	used := map[string]bool{}
	for _, k := range Variants() {
		used[k.Family()+".wgsl"] = true
	}
	files, _ := fs.Glob(sources, "*.wgsl")
	for _, f := range files {
		b, _ := sources.ReadFile(f)
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "#include ") {
				used[strings.Trim(strings.TrimSpace(strings.TrimSpace(line)[9:]), `"`)] = true
			}
		}
	}
	for _, f := range files {
		if !used[f] {
			t.Errorf("%s is not used by any family", f)
		}
	}
}
