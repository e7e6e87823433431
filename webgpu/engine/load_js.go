//go:build js && wasm

package engine

import (
	"context"
	"fmt"
	"slices"
	"syscall/js"

	"github.com/cones2web/cones2/gpugraph"
	"github.com/cones2web/cones2/webgpu"
	"github.com/cones2web/cones2/weights"
	"github.com/cones2web/cones2/wgsl"
)

// Weight is one parameter on the GPU.
type Weight struct {
	Buf   *webgpu.Buffer
	DType wgsl.DType
	Param string
}

// sink receives one tensor's file bytes in order and writes them to its GPU buffer: straight
// from the fetched JS chunks when stored as they come (in 4-byte-aligned pieces, a few carried
// bytes between chunks), through a bounded Go staging buffer when converted.
type sink struct {
	dev     *webgpu.Device
	w       *Weight
	src     weights.Source
	conv    *converting // nil: direct
	carry   []byte
	written uint64
}

func newSink(dev *webgpu.Device, src weights.Source, dt wgsl.DType) (*sink, error) {
	conv, err := conversion(src.Tensor.DType, dt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src.Param.Name, err)
	}
	n := src.Param.NumElements()
	buf, err := dev.CreateBuffer(src.Param.Name, uint64(dt.Size(n)), webgpu.UsageStorage|webgpu.UsageCopyDst)
	if err != nil {
		return nil, err
	}
	s := &sink{dev: dev, w: &Weight{Buf: buf, DType: dt, Param: src.Param.Name}, src: src}
	if conv != nil {
		s.conv = &converting{conv: conv, flush: func(off int, b []byte) error { return dev.Write(buf, uint64(off), b) }}
	}
	return s, nil
}

// write takes bytes [off, off+n) of the JS Uint8Array chunk.
func (s *sink) write(chunk js.Value, off, n int) error {
	if s.conv != nil {
		b := make([]byte, n)
		js.CopyBytesToGo(b, chunk.Call("subarray", off, off+n))
		return s.conv.write(b)
	}
	if len(s.carry) > 0 {
		k := min(4-len(s.carry), n)
		tmp := make([]byte, k)
		js.CopyBytesToGo(tmp, chunk.Call("subarray", off, off+k))
		s.carry = append(s.carry, tmp...)
		off, n = off+k, n-k
		if len(s.carry) < 4 {
			return nil
		}
		if err := s.dev.Write(s.w.Buf, s.written, s.carry); err != nil {
			return err
		}
		s.written += 4
		s.carry = s.carry[:0]
	}
	whole := n &^ 3
	if whole > 0 {
		if err := s.dev.WriteJS(s.w.Buf, s.written, chunk.Call("subarray", off, off+whole)); err != nil {
			return err
		}
		s.written += uint64(whole)
	}
	if rest := n - whole; rest > 0 {
		tmp := make([]byte, rest)
		js.CopyBytesToGo(tmp, chunk.Call("subarray", off+whole, off+n))
		s.carry = append(s.carry, tmp...)
	}
	return nil
}

func (s *sink) close() error {
	if s.conv != nil {
		return s.conv.drain(true)
	}
	if len(s.carry) > 0 {
		pad := append(s.carry, make([]byte, 4-len(s.carry))...)
		if err := s.dev.Write(s.w.Buf, s.written, pad); err != nil {
			return err
		}
		s.written += 4
	}
	return nil
}

// run is a stretch of one file holding consecutive tensors: one Range request.
type run struct {
	file       string
	begin, end int64
	sinks      []*sink
}

// planRuns sorts the sources by file and offset and merges adjacent tensors into runs.
func planRuns(sinks []*sink) []run {
	slices.SortFunc(sinks, func(a, b *sink) int {
		if a.src.File != b.src.File {
			if a.src.File < b.src.File {
				return -1
			}
			return 1
		}
		return int(a.src.Tensor.Begin - b.src.Tensor.Begin)
	})
	var runs []run
	for _, s := range sinks {
		t := s.src.Tensor
		if n := len(runs); n > 0 && runs[n-1].file == s.src.File && runs[n-1].end == t.Begin {
			runs[n-1].end = t.End
			runs[n-1].sinks = append(runs[n-1].sinks, s)
			continue
		}
		runs = append(runs, run{file: s.src.File, begin: t.Begin, end: t.End, sinks: []*sink{s}})
	}
	return runs
}

// stream fetches one run and feeds every chunk of the body to the sinks it covers.
func stream(ctx context.Context, base string, r run, progress func(n int64)) error {
	url := base + "/" + r.file
	resp, err := fetch(ctx, "GET", url, map[string]string{"Range": fmt.Sprintf("bytes=%d-%d", r.begin, r.end-1)})
	if err != nil {
		return err
	}
	pos := r.begin
	switch st := resp.Get("status").Int(); st {
	case 206:
	case 200: // the server ignored the range: skip to it
		pos = 0
	default:
		return httpError(url, st)
	}
	reader := resp.Get("body").Call("getReader")
	// Cancel whatever is left unread (an error midway, a lost GPU, a whole file sent for a range):
	// an unread body keeps the request open, and with it the service worker's fetch event, which
	// stalls a new worker's activation and every navigation queued behind it. Cancelling a body
	// read to its end does nothing.
	defer func() {
		reader.Call("cancel")
		reader.Call("releaseLock")
	}()
	si := 0
	for pos < r.end {
		res, err := webgpu.Await(ctx, reader.Call("read"))
		if err != nil {
			return fmt.Errorf("%s: %w", url, err)
		}
		if res.Get("done").Bool() {
			return fmt.Errorf("%s: the body ended at byte %d, before %d", url, pos, r.end)
		}
		chunk := res.Get("value")
		n := int64(chunk.Length())
		// feed [pos, pos+n) to the sinks it overlaps
		for si < len(r.sinks) {
			t := r.sinks[si].src.Tensor
			lo, hi := max(pos, t.Begin), min(pos+n, t.End)
			if lo < hi {
				if err := r.sinks[si].write(chunk, int(lo-pos), int(hi-lo)); err != nil {
					return err
				}
			}
			if t.End > pos+n {
				break
			}
			if err := r.sinks[si].close(); err != nil {
				return fmt.Errorf("%s: %w", r.sinks[si].src.Param.Name, err)
			}
			si++
		}
		progress(min(pos+n, r.end) - max(pos, r.begin))
		pos += n
	}
	return nil
}

// loadComponent binds the description m against the component's files and streams the
// parameters the graphs use (keep) into GPU buffers, f16 matrices when f16.
func loadComponent(ctx context.Context, dev *webgpu.Device, f *weights.Folder, base, component string, m weights.Module,
	keep func(string) bool, f16 bool, progress func(n, total int64)) (map[string]*Weight, int64, error) {
	w, err := f.Weights(component)
	if err != nil {
		return nil, 0, err
	}
	b, err := w.Bind(m)
	if err != nil {
		return nil, 0, err
	}
	out := map[string]*Weight{}
	var sinks []*sink
	var total int64
	for _, s := range b.Sources {
		if !s.Param.DType.IsFloat() || !keep(s.Param.Name) {
			continue
		}
		sk, err := newSink(dev, s, gpugraph.WeightDType(s.Param.Shape, f16))
		if err != nil {
			release(out)
			return nil, 0, fmt.Errorf("%s: %w", component, err)
		}
		sinks = append(sinks, sk)
		out[s.Param.Name] = sk.w
		total += s.Tensor.End - s.Tensor.Begin
	}
	progress(0, total)
	for _, r := range planRuns(sinks) {
		if err := stream(ctx, base, r, func(n int64) { progress(n, total) }); err != nil {
			release(out)
			return nil, 0, fmt.Errorf("%s: %w", component, err)
		}
	}
	return out, total, nil
}

func release(ws map[string]*Weight) {
	for _, w := range ws {
		w.Buf.Destroy()
	}
}
