package subject

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cones2web/cones2/cones/residual"
	"github.com/cones2web/cones2/cones/tokenizer"
	"github.com/cones2web/cones2/server/engine/sd"
	"github.com/cones2web/cones2/weights"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	gctx "github.com/gomlx/gomlx/pkg/ml/context"
)

// embedBatch is how many sentences the text encoders run at once when averaging the residual.
const embedBatch = 8

// Residual computes the subject's residual from the tuned text encoder: the mean over the
// option's sentence set of tuned minus frozen output at the word's tokens (the official
// residual.pt). The file records the model it was made for, the options and the sentence set.
func (t *Trainer) Residual() (*residual.Residual, error) {
	templates, err := ModelSentenceSet(t.opts.Sentences, t.p.Folder.Recommended)
	if err != nil {
		return nil, err
	}
	data, err := t.meanShift(templates)
	if err != nil {
		return nil, fmt.Errorf("residual: %w", err)
	}
	settings := t.opts.Settings()
	settings["resolution"] = strconv.Itoa(t.size)
	settings["steps_done"] = strconv.Itoa(t.done)
	settings["images"] = strconv.Itoa(len(t.mean))
	settings["sentences_count"] = strconv.Itoa(len(templates))
	settings["sentences_sha256"] = SentenceHash(templates)
	settings["trainer"] = "cones2web subject trainer (official train_cones2.py loop)"
	return &residual.Residual{
		Word: t.word, Tokens: t.tokens, Width: t.p.Model.TextEncoder.Width(), Data: data,
		Model:    residual.Model{Family: t.p.Family, TextEncoder: t.p.Fingerprint},
		Training: settings, Created: time.Now().UTC(),
	}, nil
}

// meanShift averages, over the templates filled with the word, tuned minus frozen text encoder
// output at the word's tokens: both sums accumulated in float32 and subtracted at the end, as
// the official script does.
func (t *Trainer) meanShift(templates []string) ([]float32, error) {
	if len(templates) == 0 {
		return nil, errors.New("no sentences")
	}
	w := t.p.Model.TextEncoder.Width()
	tuned := make([]float32, t.tokens*w)
	frozen := make([]float32, t.tokens*w)
	for start := 0; start < len(templates); start += embedBatch {
		batch := templates[start:min(start+embedBatch, len(templates))]
		ids, pos, err := sentenceIDs(t.tok, batch, t.word, t.tokens)
		if err != nil {
			return nil, err
		}
		// Pad the last batch with copies of its first row: one compiled shape for all batches.
		for len(ids) < embedBatch {
			ids = append(ids, ids[0])
		}
		newEmb, err := t.Encode(ids)
		if err != nil {
			return nil, err
		}
		oldEmb, err := t.p.TextEncoder.Encode(ids)
		if err != nil {
			return nil, err
		}
		n := len(ids[0])
		for r, p := range pos {
			for k := 0; k < t.tokens; k++ {
				off := (r*n + p + k) * w
				for j := 0; j < w; j++ {
					tuned[k*w+j] += newEmb.Data[off+j]
					frozen[k*w+j] += oldEmb.Data[off+j]
				}
			}
		}
	}
	out := make([]float32, len(tuned))
	for i := range out {
		out[i] = (tuned[i] - frozen[i]) / float32(len(templates))
	}
	return out, nil
}

// sentenceIDs tokenises filled templates (padded) and finds the word's first token in each at
// the template's placeholder (not at an earlier chance occurrence of the word).
func sentenceIDs(tok *tokenizer.Tokenizer, templates []string, word string, k int) ([][]int, []int, error) {
	var ids [][]int
	var pos []int
	for _, tmpl := range templates {
		s := Fill(tmpl, word)
		row, err := tok.EncodePadded(s)
		if err != nil {
			return nil, nil, fmt.Errorf("sentence %q: %w", s, err)
		}
		before := 0
		if i := strings.Index(tmpl, "{}"); i > 0 {
			if occ, err := tok.Occurrences(tmpl[:i], word); err == nil {
				before = len(occ)
			}
		}
		occ, err := tok.Occurrences(s, word)
		if err != nil || len(occ) <= before || len(occ[before]) != k {
			return nil, nil, fmt.Errorf("sentence %q: the word %q is not found where the template puts it", s, word)
		}
		ids = append(ids, row)
		pos = append(pos, occ[before][0])
	}
	return ids, pos, nil
}

// Encode runs the tuned text encoder on rows of token ids of one length.
func (t *Trainer) Encode(ids [][]int) (weights.Tensor, error) {
	if len(ids) == 0 {
		return weights.Tensor{}, errors.New("no token rows")
	}
	n := len(ids[0])
	flat := make([]int32, 0, len(ids)*n)
	for _, row := range ids {
		if len(row) != n {
			return weights.Tensor{}, errors.New("token rows of different lengths")
		}
		for _, id := range row {
			flat = append(flat, int32(id))
		}
	}
	if _, err := t.syncTable(); err != nil {
		return weights.Tensor{}, err
	}
	if t.embed == nil {
		var err error
		t.embed, err = gctx.NewExec(t.p.Backend, t.ctx, func(ctx *gctx.Context, ids *Node) *Node {
			return sd.TextEncoderGraph(ctx, t.p.Model.TextEncoder, ids)
		})
		if err != nil {
			return weights.Tensor{}, fmt.Errorf("tuned text encoder: %w", err)
		}
	}
	outs, err := t.embed.Exec(tensors.FromFlatDataAndDimensions(flat, len(ids), n))
	if err != nil {
		return weights.Tensor{}, fmt.Errorf("tuned text encoder: %w", err)
	}
	data, err := tensors.CopyFlatData[float32](outs[0])
	outs[0].FinalizeAll()
	if err != nil {
		return weights.Tensor{}, err
	}
	return weights.Tensor{Shape: []int{len(ids), n, t.p.Model.TextEncoder.Width()}, Data: data}, nil
}
