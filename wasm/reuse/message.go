package reuse

import (
	"fmt"
	"strings"
)

// Message says what was restored, from where, and what the subjects need; warn is set when a
// subject's residual is missing, since the image will not come out the same without it.
func (p *Plan) Message(source string) (text string, warn bool) {
	s := &p.Settings
	var b strings.Builder
	fmt.Fprintf(&b, "Settings restored from %s: prompt %q, sampler %s, %d steps (%d guided), guidance weight %g, CFG %g, seed %d, %d×%d",
		source, s.Prompt, s.Sampler, s.Steps, s.GuidanceSteps, s.GuidanceWeight, s.CFGScale, s.Seed, s.Width, s.Height)
	b.WriteString(", " + p.layoutPart() + ".")
	if len(p.Subjects) > 0 {
		parts := make([]string, len(p.Subjects))
		for i, n := range p.Subjects {
			parts[i] = n.String()
		}
		fmt.Fprintf(&b, " Subject words it needs: %s.", strings.Join(parts, ", "))
	}
	return b.String(), len(p.Missing()) > 0
}

// layoutPart names what the layout restores, or that the boxes stay as they were.
func (p *Plan) layoutPart() string {
	if p.Layout == nil {
		return "no layout recorded (the boxes are unchanged)"
	}
	boxes, regions := 0, 0
	for _, sub := range p.Layout.Subjects {
		boxes += len(sub.Boxes)
		if sub.Mask != nil {
			regions++
		}
	}
	out := "layout " + count(boxes, "box", "boxes")
	if regions > 0 {
		out += " and " + count(regions, "region", "regions")
	}
	return out
}

func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
