package offline

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"

	"github.com/cones2web/cones2/wasm/library"
)

// Names shared with ui/sw.js.
const (
	// CachePrefix starts the name of every model cache; the rest identifies the manifest.
	CachePrefix = "model-"
	// CompleteKey is written last into a model cache, holding the manifest: the service worker
	// serves a model cache only when it is there, so a model is never half-cached.
	CompleteKey = "/model/.cones-complete"
	// VerifiedPrefix + path marks a file whose bytes matched the manifest; a download that was
	// interrupted resumes with the files that carry this mark.
	VerifiedPrefix = "/model/.cones-verified/"
	// NetworkHeader on a request makes the service worker pass it to the network: the page's
	// own downloads must see the server, not the cache.
	NetworkHeader = "X-Cones-Network"
	// ModelBase is where the server serves the model folder.
	ModelBase = "/model/"
	// ManifestURL is the model folder's manifest.
	ManifestURL = ModelBase + "manifest.json"
)

// File is one file of a model folder as the manifest lists it.
type File struct {
	Path   string
	Size   int64
	SHA256 string // lowercase hex
}

// URL is where the server serves the file.
func (f File) URL() string { return ModelBase + f.Path }

// CacheName names the cache for the model a manifest describes: a new model (or a new conversion
// of it) gets a new cache, and the old one is deleted once the new one is complete.
func CacheName(manifest []byte) string {
	sum := sha256.Sum256(manifest)
	return CachePrefix + hex.EncodeToString(sum[:8])
}

// Verifier checks one file's bytes against its manifest entry as they stream past.
type Verifier struct {
	f File
	h hash.Hash
	n int64
}

// NewVerifier starts checking f.
func NewVerifier(f File) *Verifier { return &Verifier{f: f, h: sha256.New()} }

// Write hashes the next bytes; it fails as soon as the file runs longer than the manifest says.
func (v *Verifier) Write(p []byte) (int, error) {
	v.n += int64(len(p))
	if v.n > v.f.Size {
		return 0, fmt.Errorf("%s: more than the %d bytes the manifest lists", v.f.Path, v.f.Size)
	}
	return v.h.Write(p)
}

// Done is the number of bytes seen so far.
func (v *Verifier) Done() int64 { return v.n }

// Check reports whether the bytes seen are exactly the file the manifest lists.
func (v *Verifier) Check() error {
	if v.n != v.f.Size {
		return fmt.Errorf("%s: %d bytes arrived, the manifest lists %d", v.f.Path, v.n, v.f.Size)
	}
	if got := hex.EncodeToString(v.h.Sum(nil)); got != strings.ToLower(v.f.SHA256) {
		return fmt.Errorf("%s: sha256 %s does not match the manifest's %s: the download is corrupt or the model changed on the server", v.f.Path, got[:12], v.f.SHA256[:min(12, len(v.f.SHA256))])
	}
	return nil
}

// Plan says what is left to download: the files without a verified mark (marks gives each
// verified file's sha256), and how many bytes are already in place.
func Plan(files []File, marks map[string]string) (todo []File, done, total int64) {
	for _, f := range files {
		total += f.Size
		if strings.EqualFold(marks[f.Path], f.SHA256) {
			done += f.Size
			continue
		}
		todo = append(todo, f)
	}
	return todo, done, total
}

// Progress is a byte count towards a total, for a progress bar.
type Progress struct{ Done, Total int64 }

// Fraction is Done/Total in [0, 1] (1 for an empty total).
func (p Progress) Fraction() float64 {
	if p.Total <= 0 {
		return 1
	}
	return min(1, max(0, float64(p.Done)/float64(p.Total)))
}

// String says it for people: "12.3 MB of 2.6 GB (0.5%)".
func (p Progress) String() string {
	return fmt.Sprintf("%s of %s (%.1f%%)", library.HumanBytes(p.Done), library.HumanBytes(p.Total), 100*p.Fraction())
}
