package offline

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"strings"
	"testing"

	"github.com/cones2web/cones2/ui"
)

func file(path, content string) File {
	sum := sha256.Sum256([]byte(content))
	return File{Path: path, Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:])}
}

func TestVerifier(t *testing.T) {
	f := file("unet/w.safetensors", "0123456789")
	tests := []struct {
		name   string
		chunks []string
		want   string // "" for success
	}{
		{"whole", []string{"0123456789"}, ""},
		{"in pieces", []string{"012", "", "3456", "789"}, ""},
		{"short", []string{"01234"}, "5 bytes arrived, the manifest lists 10"},
		{"corrupt", []string{"0123456780"}, "does not match"},
		{"long", []string{"0123456789", "x"}, "more than the 10 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := NewVerifier(f)
			var err error
			for _, c := range tt.chunks {
				if _, err = v.Write([]byte(c)); err != nil {
					break
				}
			}
			if err == nil {
				err = v.Check()
			}
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), f.Path) {
				t.Errorf("err %v, want %q naming the file", err, tt.want)
			}
		})
	}
}

func TestPlanResumesFromVerifiedFiles(t *testing.T) {
	files := []File{file("a.json", "{}"), file("unet/w.safetensors", "0123456789"), file("vae/w.safetensors", "abc")}
	todo, done, total := Plan(files, map[string]string{
		"a.json":               strings.ToUpper(files[0].SHA256), // hex case does not matter
		"vae/w.safetensors":    files[0].SHA256,                  // stale mark: another file's hash
		"gone/old.safetensors": "x",
	})
	if total != 15 || done != 2 {
		t.Errorf("done %d total %d", done, total)
	}
	if len(todo) != 2 || todo[0].Path != "unet/w.safetensors" || todo[1].Path != "vae/w.safetensors" {
		t.Errorf("todo %+v", todo)
	}
	if files[1].URL() != "/model/unet/w.safetensors" {
		t.Error(files[1].URL())
	}
}

func TestCacheNameAndProgress(t *testing.T) {
	a, b := CacheName([]byte(`{"version":1}`)), CacheName([]byte(`{"version":1} `))
	if a == b || !strings.HasPrefix(a, CachePrefix) || len(a) != len(CachePrefix)+16 {
		t.Errorf("cache names %q %q", a, b)
	}
	for _, tt := range []struct {
		p    Progress
		frac float64
		text string
	}{
		{Progress{0, 0}, 1, "0 B of 0 B (100.0%)"},
		{Progress{1_234_567, 2_600_000_000}, 1_234_567.0 / 2_600_000_000, "1.2 MB of 2.6 GB (0.0%)"},
		{Progress{3, 4}, 0.75, "3 B of 4 B (75.0%)"},
		{Progress{5, 4}, 1, "5 B of 4 B (100.0%)"},
	} {
		if tt.p.Fraction() != tt.frac || tt.p.String() != tt.text {
			t.Errorf("%+v: %v %q", tt.p, tt.p.Fraction(), tt.p.String())
		}
	}
}

// The service worker reads the same cache names and header: a rename on one side only would
// silently turn offline mode off.
func TestNamesMatchServiceWorker(t *testing.T) {
	sw, err := fs.ReadFile(ui.Files, "sw.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{CachePrefix, CompleteKey, NetworkHeader, ModelBase, ManifestURL} {
		if !strings.Contains(string(sw), `"`+name+`"`) {
			t.Errorf("ui/sw.js does not use %q", name)
		}
	}
}
