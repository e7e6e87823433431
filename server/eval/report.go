package eval

import (
	"fmt"
	"io"
	"strings"

	"github.com/cones2web/cones2/server/shapes"
)

// rate formats k of n as a percentage with its count.
func rate(k, n int) string {
	if n == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f%% (%d/%d)", 100*float64(k)/float64(n), k, n)
}

// counter tallies successes.
type counter struct{ k, n int }

func (c *counter) add(ok bool) {
	c.n++
	if ok {
		c.k++
	}
}

func (c counter) String() string { return rate(c.k, c.n) }

func section(gs []Generated, name string) []Outcome {
	var out []Outcome
	for _, g := range gs {
		if g.Outcome.Item.Section == name {
			out = append(out, g.Outcome)
		}
	}
	return out
}

// WriteText writes the text-adherence table (the paper's Table 1 analogue): single-shape prompts
// whose colour and outline come out right.
func WriteText(w io.Writer, gs []Generated) {
	fmt.Fprintln(w, "| shape | colour right | outline right | both |")
	fmt.Fprintln(w, "|---|---|---|---|")
	var all [3]counter
	for _, k := range shapes.Kinds() {
		var c [3]counter
		for _, o := range section(gs, SectionText) {
			if o.Item.Subjects[0].Kind != k {
				continue
			}
			colour := o.Colour == o.Item.Subjects[0].Colour
			kind := o.Kind == int(k)
			for i, ok := range []bool{colour, kind, colour && kind} {
				c[i].add(ok)
				all[i].add(ok)
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", k, c[0], c[1], c[2])
	}
	fmt.Fprintf(w, "| **all** | **%s** | **%s** | **%s** |\n", all[0], all[1], all[2])
}

// WriteLayout writes the layout-success table (Table 2 and the guidance ablation): for each
// guidance mode, the share of subjects whose colour dominates their box and of pictures where
// every subject does.
func WriteLayout(w io.Writer, gs []Generated) {
	fmt.Fprintln(w, "| layout guidance | 2 subjects: subjects in their box | 2 subjects: all in place | 3 subjects: subjects in their box | 3 subjects: all in place |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, m := range Modes() {
		var cells []string
		for _, sec := range []string{SectionLayout2, SectionLayout3} {
			subj, img := placement(section(gs, sec), func(o Outcome) bool { return o.Item.Mode == m })
			cells = append(cells, subj.String(), img.String())
		}
		fmt.Fprintf(w, "| %s | %s |\n", m, strings.Join(cells, " | "))
	}
}

// placement counts, over the outcomes keep selects, the subjects whose colour dominates their
// box and the pictures in which every subject does.
func placement(os []Outcome, keep func(Outcome) bool) (subjects, pictures counter) {
	for _, o := range os {
		if !keep(o) {
			continue
		}
		for _, p := range o.Present {
			subjects.add(p)
		}
		pictures.add(o.AllPresent())
	}
	return subjects, pictures
}

// WriteConfusion writes the attribute-confusion table: two shapes of one kind in two colours.
func WriteConfusion(w io.Writer, gs []Generated) {
	fmt.Fprintln(w, "| layout guidance | correct | swapped | leaked | missing |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, m := range []Mode{Full, Off} {
		count := map[string]int{}
		n := 0
		for _, o := range section(gs, SectionConfusion) {
			if o.Item.Mode == m {
				count[o.Confusion]++
				n++
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", m, rate(count[Correct], n), rate(count[Swapped], n),
			rate(count[Leaked], n), rate(count[Missing], n))
	}
}

// WriteCustom writes the customisation tables: each subject alone under every method (the
// colour right over the whole picture; the bare word's rate is the baseline), then the methods
// that combine subjects with two and three of them in a layout.
func WriteCustom(w io.Writer, gs []Generated, methods []string) {
	fmt.Fprint(w, "| subject (class word) |")
	for _, m := range methods {
		fmt.Fprintf(w, " %s |", m)
	}
	fmt.Fprint(w, "\n|---|")
	for range methods {
		fmt.Fprint(w, "---|")
	}
	fmt.Fprintln(w)
	alone := section(gs, SectionCustom1)
	all := make([]counter, len(methods))
	for _, c := range CustomSubjects() {
		fmt.Fprintf(w, "| %s (%s) |", c, c.Word)
		for i, m := range methods {
			var k counter
			for _, o := range alone {
				s := o.Item.Subjects[0]
				if o.Item.Method == m && s.Colour == c.Colour && s.Kind == c.Kind {
					k.add(o.Colour == s.Colour)
					all[i].add(o.Colour == s.Colour)
				}
			}
			fmt.Fprintf(w, " %s |", k)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprint(w, "| **all** |")
	for _, k := range all {
		fmt.Fprintf(w, " **%s** |", k)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| method | 2 subjects: in their box | 2 subjects: all in place | 3 subjects: in their box | 3 subjects: all in place |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, m := range methods {
		if !combines(m) {
			continue
		}
		fmt.Fprintf(w, "| %s |", m)
		for _, sec := range []string{SectionCustom2, SectionCustom3} {
			subj, img := placement(section(gs, sec), func(o Outcome) bool { return o.Item.Method == m })
			fmt.Fprintf(w, " %s | %s |", subj, img)
		}
		fmt.Fprintln(w)
	}
}

// WriteDiagnoses writes where each subject's fine-tuning changed the text encoder's output.
func WriteDiagnoses(w io.Writer, ds []Diagnosis) {
	fmt.Fprintln(w, "| subject | residual norm | word embedding norm | change at the word | at <\\|startoftext\\|> | elsewhere (other words, padding) | agreement across sentences |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, d := range ds {
		fmt.Fprintf(w, "| %s | %.2f | %.2f | %.0f%% | %.0f%% | %.0f%% | %.2f (%d sentences) |\n", d.Subject, d.ResidualNorm, d.WordNorm,
			100*d.WordShare, 100*d.StartShare, 100*d.RestShare, d.Agreement, d.Sentences)
	}
}
