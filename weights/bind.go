package weights

import (
	"fmt"
	"slices"
	"strings"
)

// Source is where one described parameter lives: the file and the tensor entry in it. It is
// what the browser needs to fetch the parameter with one range request.
type Source struct {
	Param  Param
	File   string     // Header.File of the file holding it (a path inside the model folder)
	Tensor TensorInfo // the entry as the file spells it: name, dtype, shape, byte range
}

// Binding maps every parameter of a description to its tensor, in description order.
// Optional parameters that the files lack are left out.
type Binding struct {
	Sources []Source
	index   map[string]int
}

// Source looks up the source of the parameter called name (its description name).
func (b *Binding) Source(name string) (Source, bool) {
	i, ok := b.index[name]
	if !ok {
		return Source{}, false
	}
	return b.Sources[i], true
}

// BindError lists everything that keeps a set of files from matching a description exactly.
// Loading is strict: any non-empty list is an error.
type BindError struct {
	Missing    []string // described, not in the files
	Unused     []string // in the files, not described
	WrongShape []string // "name: shape [..], want [..]"
	WrongDType []string // "name: dtype X, want Y"
	Ambiguous  []string // found under two spellings or in two files
}

// errListMax is how many offenders of each kind an error message names.
const errListMax = 5

func (e *BindError) Error() string {
	var parts []string
	for _, l := range []struct {
		what  string
		items []string
	}{
		{"missing", e.Missing}, {"unused", e.Unused}, {"wrong shape", e.WrongShape},
		{"wrong dtype", e.WrongDType}, {"ambiguous", e.Ambiguous},
	} {
		if len(l.items) == 0 {
			continue
		}
		shown := l.items[:min(len(l.items), errListMax)]
		s := fmt.Sprintf("%d %s: %s", len(l.items), l.what, strings.Join(shown, ", "))
		if len(l.items) > len(shown) {
			s += ", ..."
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func (e *BindError) empty() bool {
	return len(e.Missing)+len(e.Unused)+len(e.WrongShape)+len(e.WrongDType)+len(e.Ambiguous) == 0
}

type located struct {
	file int
	info TensorInfo
}

// Bind matches the parameters of m against the tensors of files (the shards of one component).
// Every required parameter must be present exactly once, under its name or one alias, with the
// described shape and a compatible dtype (any float type for weights, I64 for integer buffers),
// and every tensor in the files must be used. Otherwise the error is a *BindError.
func Bind(m Module, files []*Header) (*Binding, error) {
	all := map[string]located{}
	e := &BindError{}
	for i, h := range files {
		for _, t := range h.Tensors {
			if prev, dup := all[t.Name]; dup {
				e.Ambiguous = append(e.Ambiguous, fmt.Sprintf("%s (in %s and %s)", t.Name, files[prev.file].File, h.File))
				continue
			}
			all[t.Name] = located{i, t}
		}
	}
	used := map[string]bool{}
	b := &Binding{index: map[string]int{}}
	for _, p := range m.Params() {
		var found []located
		for _, n := range append([]string{p.Name}, p.Aliases...) {
			if l, ok := all[n]; ok {
				found = append(found, l)
				used[n] = true
			}
		}
		switch {
		case len(found) == 0:
			if !p.Optional {
				e.Missing = append(e.Missing, p.Name)
			}
			continue
		case len(found) > 1:
			e.Ambiguous = append(e.Ambiguous, fmt.Sprintf("%s (also spelt %s)", found[0].info.Name, found[1].info.Name))
			continue
		}
		t := found[0].info
		if !slices.Equal(t.Shape, p.Shape) {
			e.WrongShape = append(e.WrongShape, fmt.Sprintf("%s: shape %v, want %v", t.Name, t.Shape, p.Shape))
		}
		if !dtypeFits(t.DType, p.DType) {
			e.WrongDType = append(e.WrongDType, fmt.Sprintf("%s: dtype %s, want %s", t.Name, t.DType, p.DType))
		}
		if _, dup := b.index[p.Name]; dup {
			e.Ambiguous = append(e.Ambiguous, p.Name+" (described twice)")
			continue
		}
		b.index[p.Name] = len(b.Sources)
		b.Sources = append(b.Sources, Source{Param: p, File: files[found[0].file].File, Tensor: t})
	}
	for _, h := range files {
		for _, t := range h.Tensors {
			if !used[t.Name] {
				e.Unused = append(e.Unused, t.Name)
			}
		}
	}
	if !e.empty() {
		return nil, e
	}
	return b, nil
}

// dtypeFits reports whether a file dtype can supply a parameter described with want.
func dtypeFits(have, want DType) bool {
	if want.IsFloat() {
		return have.IsFloat()
	}
	return have == want
}
