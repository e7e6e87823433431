package layout

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// FormatVersion is the version of our layout JSON that Encode writes and Parse reads.
const FormatVersion = 1

// fileJSON is our layout file:
//
//	{"version": 1, "negative": -1e8,
//	 "subjects": [{"word": "dog", "weight": 2.5,
//	               "boxes": [{"x0": 0.1, "y0": 0.2, "x1": 0.5, "y1": 0.9}]}]}
//
// Coordinates are relative to the image ([0,1], x right, y down), so one file fits every image
// size. "weight" and "negative" may be left out for the official defaults 2.5 and -1e8.
type fileJSON struct {
	Version  *int          `json:"version"`
	Negative *float64      `json:"negative,omitempty"`
	Subjects []subjectJSON `json:"subjects"`
}

type subjectJSON struct {
	Word   string    `json:"word"`
	Weight *float64  `json:"weight,omitempty"`
	Boxes  []boxJSON `json:"boxes"`
}

type boxJSON struct {
	X0 *float64 `json:"x0"`
	Y0 *float64 `json:"y0"`
	X1 *float64 `json:"x1"`
	Y1 *float64 `json:"y1"`
}

// VersionError: a layout file of a version this code does not know.
type VersionError struct{ Got int }

func (e *VersionError) Error() string {
	if e.Got > FormatVersion {
		return fmt.Sprintf("layout: file version %d is newer than this program's %d; update it", e.Got, FormatVersion)
	}
	return fmt.Sprintf("layout: unknown file version %d (this program reads %d)", e.Got, FormatVersion)
}

// Parse reads and validates a layout in our JSON format. Unknown fields are errors: a typo must
// not silently become a default.
func Parse(data []byte) (*Layout, error) {
	if len(data) > MaxConfigBytes {
		return nil, fmt.Errorf("layout: %d bytes, at most %d", len(data), MaxConfigBytes)
	}
	var f fileJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("layout: invalid JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("layout: invalid JSON: data after the layout object")
	}
	if f.Version == nil {
		return nil, errors.New(`layout: missing "version"`)
	}
	if *f.Version != FormatVersion {
		return nil, &VersionError{Got: *f.Version}
	}
	if len(f.Subjects) > MaxSubjects {
		return nil, fmt.Errorf("layout: %d subjects, at most %d", len(f.Subjects), MaxSubjects)
	}
	l := &Layout{Negative: DefaultNegative}
	if f.Negative != nil {
		l.Negative = *f.Negative
	}
	for i, sj := range f.Subjects {
		s, err := sj.subject()
		if err != nil {
			return nil, &SubjectError{Index: i, Word: sj.Word, Err: err}
		}
		l.Subjects = append(l.Subjects, s)
	}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return l, nil
}

func (sj *subjectJSON) subject() (Subject, error) {
	s := Subject{Word: sj.Word, Weight: DefaultWeight}
	if sj.Weight != nil {
		s.Weight = *sj.Weight
	}
	if len(sj.Boxes) > MaxBoxes {
		return s, fmt.Errorf("%d boxes, at most %d", len(sj.Boxes), MaxBoxes)
	}
	for j, bj := range sj.Boxes {
		if bj.X0 == nil || bj.Y0 == nil || bj.X1 == nil || bj.Y1 == nil {
			return s, &BoxError{Box: j, Err: errors.New(`needs "x0", "y0", "x1" and "y1"`)}
		}
		s.Boxes = append(s.Boxes, Box{X0: *bj.X0, Y0: *bj.Y0, X1: *bj.X1, Y1: *bj.Y1})
	}
	return s, nil
}

// Encode writes a layout in our JSON format. Only box subjects can be written: masks belong to
// the colour PNG they came from.
func Encode(l *Layout) ([]byte, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	v := FormatVersion
	f := fileJSON{Version: &v, Negative: &l.Negative, Subjects: []subjectJSON{}}
	for i := range l.Subjects {
		s := &l.Subjects[i]
		if s.Mask != nil {
			return nil, &SubjectError{Index: i, Word: s.Word, Err: errors.New("a mask subject cannot be written as boxes")}
		}
		sj := subjectJSON{Word: s.Word, Weight: &s.Weight}
		for _, b := range s.Boxes {
			sj.Boxes = append(sj.Boxes, boxJSON{X0: ptr(b.X0), Y0: ptr(b.Y0), X1: ptr(b.X1), Y1: ptr(b.Y1)})
		}
		f.Subjects = append(f.Subjects, sj)
	}
	return json.MarshalIndent(f, "", "  ")
}

func ptr(x float64) *float64 { return &x }
