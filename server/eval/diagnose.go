package eval

import (
	"fmt"
	"math"
	"strings"

	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/server/engine/sd"
	"github.com/cones2web/cones2/server/subject"
	"github.com/cones2web/cones2/weights"
)

// Diagnosis says where a subject's fine-tuning changed the text encoder's output, over the
// sentences its residual is averaged over: the residual keeps only the change at the word's
// tokens, so a fine-tuning that moved the other positions (the start token, the words after,
// the padding the UNet also attends to) makes a subject the residual cannot carry.
type Diagnosis struct {
	Subject CustomSubject
	// ResidualNorm is the residual's norm, WordNorm the mean norm of the frozen encoder's
	// output at the word (what the residual is added to).
	ResidualNorm, WordNorm float64
	// WordShare, StartShare and RestShare split the squared change (tuned minus frozen, summed
	// over the sentences) between the word's tokens, <|startoftext|> and every other position.
	WordShare, StartShare, RestShare float64
	// Agreement is the mean cosine between each sentence's change at the word and the residual
	// (their mean): 1 when the change does not depend on the sentence.
	Agreement float64
	Sentences int
}

// Diagnose measures a learned subject's change of the text encoder (see Diagnosis).
func Diagnose(p *sd.Pipeline, tok *tokenizer.Tokenizer, l *Learned, r weights.Recommended) (Diagnosis, error) {
	d := Diagnosis{Subject: l.Subject, ResidualNorm: norm(l.Residual.Data)}
	name := subject.OfficialSentences
	if len(r.Training.Sentences) > 0 {
		name = subject.ModelSentences
	}
	templates, err := subject.ModelSentenceSet(name, r)
	if err != nil {
		return d, err
	}
	ids, pos, err := wordRows(tok, templates, l.Subject.Word)
	if err != nil {
		return d, err
	}
	tuned, err := l.Trainer.Encode(ids)
	if err != nil {
		return d, err
	}
	frozen, err := p.TextEncoder.Encode(ids)
	if err != nil {
		return d, err
	}
	n, w := frozen.Shape[1], frozen.Shape[2]
	var word, start, rest, wordNorm, agree float64
	for s := range ids {
		at := map[int]bool{}
		for _, t := range pos[s] {
			at[t] = true
		}
		var shift []float32
		for t := range n {
			row := (s*n + t) * w
			diff := make([]float32, w)
			for j := range w {
				diff[j] = tuned.Data[row+j] - frozen.Data[row+j]
			}
			sq := norm(diff) * norm(diff)
			switch {
			case at[t]:
				word += sq
				wordNorm += norm(frozen.Data[row:row+w]) / float64(len(pos[s]))
				shift = append(shift, diff...)
			case t == 0:
				start += sq
			default:
				rest += sq
			}
		}
		agree += cosine(shift, l.Residual.Data)
	}
	total := word + start + rest
	if total > 0 {
		d.WordShare, d.StartShare, d.RestShare = word/total, start/total, rest/total
	}
	d.WordNorm, d.Agreement, d.Sentences = wordNorm/float64(len(ids)), agree/float64(len(ids)), len(ids)
	return d, nil
}

// wordRows fills the templates with the word and returns their padded ids and the word's token
// positions at the template's placeholder.
func wordRows(tok *tokenizer.Tokenizer, templates []string, word string) ([][]int, [][]int, error) {
	var ids, pos [][]int
	for _, tpl := range templates {
		s := subject.Fill(tpl, word)
		row, err := tok.EncodePadded(s)
		if err != nil {
			return nil, nil, fmt.Errorf("eval: sentence %q: %w", s, err)
		}
		before := 0
		if i := strings.Index(tpl, "{}"); i > 0 {
			if occ, err := tok.Occurrences(tpl[:i], word); err == nil {
				before = len(occ)
			}
		}
		occ, err := tok.Occurrences(s, word)
		if err != nil || len(occ) <= before {
			return nil, nil, fmt.Errorf("eval: sentence %q: the word %q is not where the template puts it", s, word)
		}
		ids, pos = append(ids, row), append(pos, occ[before])
	}
	return ids, pos, nil
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func cosine(a, b []float32) float64 {
	if len(a) != len(b) || norm(a) == 0 || norm(b) == 0 {
		return 0
	}
	var dot float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
	}
	return dot / (norm(a) * norm(b))
}
