package jobs

import (
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Errors reach clients (API refusals, a failed job's error) and must not show where the server
// keeps its files: the folder layout of the host is nobody's business, and it helps an attacker
// aim. The full error goes to the server's log; what a client sees passes through public.

// public is err's message with the server's folders (the jobs folder, the model folder)
// replaced by neutral names; scrubPaths then cuts any other absolute path.
func (m *Manager) public(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	type root struct{ path, name string }
	var roots []root
	add := func(dir, name string) {
		if dir == "" {
			return
		}
		roots = append(roots, root{filepath.Clean(dir), name})
		if abs, err := filepath.Abs(dir); err == nil {
			roots = append(roots, root{abs, name})
		}
	}
	add(m.cfg.Dir, "<jobs>")
	if r, ok := m.cfg.Runner.(*PipelineRunner); ok {
		add(r.Dir, "<model>")
	}
	// Longest first: a model folder inside the data folder keeps its own name.
	sort.Slice(roots, func(i, j int) bool { return len(roots[i].path) > len(roots[j].path) })
	for _, r := range roots {
		if r.path != "." && r.path != string(filepath.Separator) {
			msg = strings.ReplaceAll(msg, r.path, r.name)
		}
	}
	return scrubPaths(msg)
}

// absPath is an absolute path in a message: a slash starting a word, then path characters.
var absPath = regexp.MustCompile(`(^|[\s"'(=:])(/[^\s"'(),;:]+)`)

// scrubPaths cuts every absolute path in msg to its last element ("…/name"): the last line of
// defence for messages that name a file the server opened.
func scrubPaths(msg string) string {
	return absPath.ReplaceAllStringFunc(msg, func(s string) string {
		m := absPath.FindStringSubmatch(s)
		lead, p := m[1], m[2]
		if strings.Count(p, "/") < 2 { // "/", "/x": not worth hiding, and may be a ratio
			return s
		}
		return lead + "…/" + filepath.Base(p)
	})
}
