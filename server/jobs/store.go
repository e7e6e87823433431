package jobs

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"

	"github.com/cones2web/cones2/internal/userfile"
	"github.com/cones2web/cones2/server/subject"
)

// Files of a job's folder.
const (
	jobFile        = "job.json"
	imagesDir      = "images"
	residualFile   = "residual.safetensors"
	checkpointFile = "checkpoint.safetensors"
)

// idPattern is the only shape a job ID has: the server makes them, and nothing else from a
// request ever becomes part of a path.
var idPattern = regexp.MustCompile(`^[0-9a-f]{16}$`)

func newID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("job id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// store keeps jobs on disk, one folder each under root.
type store struct{ root string }

// dir is a job's folder; id must already match idPattern.
func (s store) dir(id string) string { return filepath.Join(s.root, id) }

func (s store) path(id string, parts ...string) string {
	return filepath.Join(append([]string{s.dir(id)}, parts...)...)
}

// save writes job.json atomically (a temporary file renamed over the old one), so a crash
// leaves the old or the new record, never half of one.
func (s store) save(j *Job) error {
	data, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return fmt.Errorf("job %s: %w", j.ID, err)
	}
	return writeAtomic(s.path(j.ID, jobFile), data)
}

func writeAtomic(path string, data []byte) error { return userfile.WriteFile(path, data, 0o644) }

// loadAll reads every job folder, oldest first. Folders that are not jobs (or whose record is
// unreadable) are reported, not fatal: one damaged job must not keep the server from starting.
func (s store) loadAll() ([]*Job, []error) {
	entries, err := os.ReadDir(s.root)
	if err != nil {
		return nil, []error{fmt.Errorf("jobs folder %s: %w", s.root, err)}
	}
	var jobs []*Job
	var bad []error
	for _, e := range entries {
		if !e.IsDir() || !idPattern.MatchString(e.Name()) {
			continue
		}
		data, err := os.ReadFile(s.path(e.Name(), jobFile))
		if errors.Is(err, os.ErrNotExist) {
			continue // a job whose upload never finished
		}
		var j Job
		if err == nil {
			err = json.Unmarshal(data, &j)
		}
		if err == nil && j.ID != e.Name() {
			err = fmt.Errorf("records id %q", j.ID)
		}
		for _, img := range j.Images {
			if err == nil && !slices.Contains(subject.Formats, img.Format) {
				err = fmt.Errorf("a photo of format %q", img.Format) // never a path element we did not make
			}
		}
		if err != nil {
			bad = append(bad, fmt.Errorf("job %s: %w", e.Name(), err))
			continue
		}
		jobs = append(jobs, &j)
	}
	sort.SliceStable(jobs, func(a, b int) bool { return jobs[a].Created.Before(jobs[b].Created) })
	return jobs, bad
}
