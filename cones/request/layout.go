package request

import (
	"errors"
	"fmt"

	"github.com/cones2web/cones2/cones/layout"
	"github.com/cones2web/cones2/cones/tokenizer"
)

// Positions are the token positions of each layout subject: every token of every occurrence
// of its word, as the official code matches every occurrence of the word's tokens. A word the
// prompt lacks is an error naming it (its boxes would guide nothing).
func Positions(tok *tokenizer.Tokenizer, prompt string, l *layout.Layout) ([][]int, error) {
	out := make([][]int, len(l.Subjects))
	var errs []error
	for i, sub := range l.Subjects {
		occ, err := tok.Occurrences(prompt, sub.Word)
		if err != nil {
			errs = append(errs, fmt.Errorf("layout subject %q: %w", sub.Word, err))
			continue
		}
		for _, o := range occ {
			out[i] = append(out[i], o...)
		}
	}
	return out, errors.Join(errs...)
}

// Grids rasterises the layout at the image size, each subject's map at its token positions,
// and resizes it to every cross-attention grid the model's UNet has at that size: the maps the
// attention edit adds, keyed by query length (cones/layout's Grid.Data, [queries, 77]). A
// colour layout drawn at another size is resized first, as the official code resizes its PNG.
func Grids(l *layout.Layout, positions [][]int, width, height int, m Model) (map[int][]float32, error) {
	if m.Networks == nil {
		return nil, errNoModel
	}
	if n := m.Networks.TextEncoder.Config.MaxPositionEmbeddings; n != layout.ContextLen {
		return nil, fmt.Errorf("layout guidance needs %d text tokens, this text encoder reads %d", layout.ContextLen, n)
	}
	l, err := l.ResizeMasks(width, height)
	if err != nil {
		return nil, err
	}
	wt, err := l.Build(height, width, positions)
	if err != nil {
		return nil, err
	}
	shape := m.LatentShape(width, height)
	grids, err := wt.Grids(m.Networks.UNet.QueryLengths(shape[2], shape[3]))
	if err != nil {
		return nil, err
	}
	if len(grids) == 0 {
		return nil, errors.New("the UNet has no cross-attention layer to guide")
	}
	out := make(map[int][]float32, len(grids))
	for _, g := range grids {
		out[g.QueryLen] = g.Data
	}
	return out, nil
}
