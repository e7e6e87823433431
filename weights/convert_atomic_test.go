package weights

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cones2web/cones2/internal/fixture"
)

// TestConvertFailureLeavesNothing: a conversion that fails half-way (here at a tensor over the
// file limit, after the configs were written) leaves neither the output folder nor a temporary
// one, and the retry into the same folder, an empty one the person made included, succeeds.
func TestConvertFailureLeavesNothing(t *testing.T) {
	v := fixture.Variants(t)[0]
	for _, made := range []bool{false, true} {
		parent := t.TempDir()
		dst := filepath.Join(parent, "served")
		if made {
			if err := os.Mkdir(dst, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		_, err := Convert(v.Dir, dst, ConvertOptions{MaxShardBytes: 64 << 10})
		if err == nil || !strings.Contains(err.Error(), "more than the") {
			t.Fatalf("conversion over the limit: %v", err)
		}
		entries, _ := os.ReadDir(parent)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if want := map[bool]int{false: 0, true: 1}[made]; len(names) != want {
			t.Fatalf("after a failed conversion the folder holds %v", names)
		}
		if made {
			if left, _ := os.ReadDir(dst); len(left) != 0 {
				t.Fatalf("the output folder was written into: %d entries", len(left))
			}
		}
		m, err := Convert(v.Dir, dst, ConvertOptions{MaxShardBytes: shardLimit})
		if err != nil {
			t.Fatalf("retry into the same folder: %v", err)
		}
		if errs := Verify(dst); errs != nil || len(m.Files) == 0 {
			t.Fatalf("retry: verify %v", errs)
		}
		if entries, _ := os.ReadDir(parent); len(entries) != 1 {
			t.Fatalf("beside the output: %d entries", len(entries))
		}
	}
}
