package wgsl

import (
	"embed"
	"fmt"
	"strings"
)

//go:embed *.wgsl
var sources embed.FS

// Defines are the structural choices compiled into one kernel variant: booleans select #if
// branches, other values replace {{NAME}}. Every name a source uses must be defined, so a typo
// is an error rather than a silently different kernel.
type Defines map[string]any

// Expand returns the source file name (a family's .wgsl) with includes resolved, #if blocks
// selected and {{NAME}} placeholders replaced.
func Expand(name string, defs Defines) (string, error) {
	var b strings.Builder
	if err := expand(&b, name, defs, 0); err != nil {
		return "", fmt.Errorf("wgsl: %w", err)
	}
	return b.String(), nil
}

func expand(b *strings.Builder, name string, defs Defines, depth int) error {
	if depth > 4 {
		return fmt.Errorf("%s: includes nested too deep", name)
	}
	src, err := sources.ReadFile(name)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return expandLines(b, name, string(src), defs, depth)
}

func expandLines(b *strings.Builder, name, src string, defs Defines, depth int) error {
	// stack of (taking this branch, parent taking) for nested #if.
	type cond struct{ on, parent bool }
	var stack []cond
	active := func() bool { return len(stack) == 0 || stack[len(stack)-1].on }
	for i, line := range strings.Split(strings.TrimSuffix(src, "\n"), "\n") {
		where := fmt.Sprintf("%s:%d", name, i+1)
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, "#if "):
			v, err := flag(defs, strings.TrimSpace(t[4:]))
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			p := active()
			stack = append(stack, cond{on: p && v, parent: p})
			continue
		case t == "#else":
			if len(stack) == 0 {
				return fmt.Errorf("%s: #else without #if", where)
			}
			top := &stack[len(stack)-1]
			top.on = top.parent && !top.on
			continue
		case t == "#endif":
			if len(stack) == 0 {
				return fmt.Errorf("%s: #endif without #if", where)
			}
			stack = stack[:len(stack)-1]
			continue
		case strings.HasPrefix(t, "#include "):
			if active() {
				inc := strings.Trim(strings.TrimSpace(t[9:]), `"`)
				if err := expand(b, inc, defs, depth+1); err != nil {
					return fmt.Errorf("%s: %w", where, err)
				}
			}
			continue
		case strings.HasPrefix(t, "#"):
			return fmt.Errorf("%s: unknown directive %q", where, t)
		}
		if !active() {
			continue
		}
		out, err := substitute(line, defs)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		b.WriteString(out)
		b.WriteByte('\n')
	}
	if len(stack) != 0 {
		return fmt.Errorf("%s: #if without #endif", name)
	}
	return nil
}

func flag(defs Defines, name string) (bool, error) {
	neg := strings.HasPrefix(name, "!")
	name = strings.TrimPrefix(name, "!")
	v, ok := defs[name]
	if !ok {
		return false, fmt.Errorf("#if %s: not defined", name)
	}
	f, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("#if %s: value %v is not a bool", name, v)
	}
	return f != neg, nil
}

func substitute(line string, defs Defines) (string, error) {
	for {
		i := strings.Index(line, "{{")
		if i < 0 {
			return line, nil
		}
		j := strings.Index(line[i:], "}}")
		if j < 0 {
			return "", fmt.Errorf("unclosed {{ in %q", line)
		}
		name := line[i+2 : i+j]
		v, ok := defs[name]
		if !ok {
			return "", fmt.Errorf("{{%s}}: not defined", name)
		}
		line = line[:i] + fmt.Sprint(v) + line[i+j+2:]
	}
}
