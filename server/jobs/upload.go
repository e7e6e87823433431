package jobs

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"unicode"

	"github.com/cones2web/cones2/server/subject"
	"github.com/cones2web/cones2/weights"
)

// Form fields of POST /api/train.
const (
	fieldImages = "images"
	fieldWord   = "word"
	maxField    = 1 << 10 // bytes of one text field
)

// request is a parsed, checked training request.
type request struct {
	word   string
	opts   subject.Options
	photos []Upload
}

// parseUpload reads the multipart request as it streams in, refusing it at the first problem:
// a photo over the byte limit is cut off while it is read, every photo's header is checked
// (format and dimensions) before its pixels are decoded, and the whole body is bounded. Options
// the request leaves out keep defaults; rec is the model's recommendations they came from.
func (m *Manager) parseUpload(w http.ResponseWriter, r *http.Request, model ModelInfo, defaults subject.Options, rec weights.Recommended) (*request, *apiError) {
	lim := m.cfg.Limits
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		return nil, newError(http.StatusUnsupportedMediaType, "not_multipart", "",
			"send the photos and fields as multipart/form-data")
	}
	r.Body = http.MaxBytesReader(w, r.Body, lim.maxRequestBytes())
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, newError(http.StatusBadRequest, "bad_multipart", "", "the upload is not valid multipart: "+err.Error())
	}
	req := &request{opts: defaults}
	fields := map[string]string{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, bodyError(err)
		}
		name := part.FormName()
		switch {
		case name == fieldImages:
			if len(req.photos) >= lim.MaxImages {
				return nil, newError(http.StatusBadRequest, "too_many_images", fieldImages,
					fmt.Sprintf("more than %d photos; choose the %d that show the subject best", lim.MaxImages, lim.MaxImages))
			}
			ph, aerr := m.readPhoto(r.Context(), part, len(req.photos)+1)
			if aerr != nil {
				return nil, aerr
			}
			req.photos = append(req.photos, *ph)
		case isOptionField(name) || name == fieldWord:
			if _, dup := fields[name]; dup {
				return nil, newError(http.StatusBadRequest, "bad_field", name, fmt.Sprintf("the field %q is given twice", name))
			}
			b, err := io.ReadAll(io.LimitReader(part, maxField+1))
			if err != nil {
				return nil, bodyError(err)
			}
			if len(b) > maxField {
				return nil, newError(http.StatusBadRequest, "bad_field", name, fmt.Sprintf("the field %q is longer than %d bytes", name, maxField))
			}
			fields[name] = strings.TrimSpace(string(b))
		default:
			return nil, newError(http.StatusBadRequest, "unknown_field", clip(name),
				fmt.Sprintf("unknown field %q (expected images, word and the options %s)", clip(name), strings.Join(optionFields, ", ")))
		}
		part.Close()
	}
	req.word = fields[fieldWord]
	if req.word == "" {
		return nil, newError(http.StatusBadRequest, "missing_word", fieldWord, "type the word for your subject's class (for example dog)")
	}
	if err := subject.CheckWord(req.word); err != nil {
		return nil, newError(http.StatusBadRequest, "bad_word", fieldWord, err.Error())
	}
	if n := len(req.photos); n < lim.MinImages {
		return nil, newError(http.StatusBadRequest, "too_few_images", fieldImages,
			fmt.Sprintf("%d photos; training needs at least %d (3 to 5 good photos of the subject work best)", n, lim.MinImages))
	}
	if aerr := m.applyOptions(&req.opts, fields, model, rec); aerr != nil {
		return nil, aerr
	}
	return req, nil
}

// bodyError turns a failure to read the body into a refusal: too large, or malformed.
func bodyError(err error) *apiError {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return newError(http.StatusRequestEntityTooLarge, "request_too_large", "",
			fmt.Sprintf("the upload is larger than the %d bytes this server accepts", mbe.Limit))
	}
	return newError(http.StatusBadRequest, "bad_multipart", "", "the upload could not be read: "+err.Error())
}

// displayName is the uploaded file's name for display only: its last element, printable,
// at most 100 bytes. It never becomes a path.
func displayName(name string, n int) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, name)
	if name == "" || name == "." || name == "/" {
		return fmt.Sprintf("photo %d", n)
	}
	return clip(name)
}

func clip(s string) string {
	const n = 100
	if len(s) <= n {
		return s
	}
	for i := n; i > 0; i-- {
		if s[i]&0xc0 != 0x80 { // cut at a character boundary
			return s[:i] + "…"
		}
	}
	return ""
}

// optionFields are the form fields of the options, in the order the docs list them.
var optionFields = []string{"steps", "lr", "resolution", "first_weight", "second_weight", "seed", "sentences", "instance", "word_lr", "min_timestep"}

func isOptionField(name string) bool {
	for _, f := range optionFields {
		if f == name {
			return true
		}
	}
	return false
}

// applyOptions parses the option fields over the defaults and checks them against the
// trainer's rules and the server's limits.
func (m *Manager) applyOptions(o *subject.Options, fields map[string]string, model ModelInfo, rec weights.Recommended) *apiError {
	bad := func(field, msg string) *apiError {
		return newError(http.StatusBadRequest, "bad_option", field, field+": "+msg)
	}
	for _, f := range optionFields {
		v, ok := fields[f]
		if !ok || v == "" {
			continue
		}
		var err error
		switch f {
		case "steps":
			o.Steps, err = strconv.Atoi(v)
		case "resolution":
			o.Resolution, err = strconv.Atoi(v)
		case "seed":
			o.Seed, err = strconv.ParseUint(v, 10, 64)
		case "min_timestep":
			o.MinTimestep, err = strconv.Atoi(v)
		case "sentences":
			o.Sentences = v
		case "instance":
			o.Instance = v
		default:
			var x float64
			x, err = strconv.ParseFloat(v, 64)
			switch f {
			case "lr":
				o.LearningRate = x
			case "first_weight":
				o.FirstWeight = x
			case "second_weight":
				o.SecondWeight = x
			case "word_lr":
				o.WordLR = x
			}
		}
		if err != nil {
			return bad(f, fmt.Sprintf("%q is not a number", clip(v)))
		}
	}
	lim := m.cfg.Limits
	switch {
	case o.Steps > lim.MaxSteps:
		return bad("steps", fmt.Sprintf("%d, this server trains at most %d steps", o.Steps, lim.MaxSteps))
	case o.Resolution > lim.MaxResolution:
		return bad("resolution", fmt.Sprintf("%d, this server trains at most %d px", o.Resolution, lim.MaxResolution))
	case o.Resolution > 0 && model.Multiple > 0 && o.Resolution%model.Multiple != 0:
		return bad("resolution", fmt.Sprintf("%d is not a multiple of %d (the model's downsampling)", o.Resolution, model.Multiple))
	}
	if err := o.Validate(); err != nil {
		var oe *subject.OptionError
		if errors.As(err, &oe) {
			return bad(oe.Option, oe.Problem)
		}
		return bad("", err.Error())
	}
	// A set the model cannot supply would fail only when the residual is extracted, after the
	// whole training run: refuse it now.
	if _, err := subject.ModelSentenceSet(o.Sentences, rec); err != nil {
		return bad("sentences", err.Error())
	}
	return nil
}
