package residual

import "fmt"

// ModelMismatchError: the residual was trained on another text encoder than the one loaded.
type ModelMismatchError struct {
	Word       string
	File, Have Model
}

func (e *ModelMismatchError) Error() string {
	return fmt.Sprintf("residual for %q was made for %s, this model is %s", e.Word, e.File, e.Have)
}

// WidthMismatchError: the residual's vectors do not have the text encoder's width.
type WidthMismatchError struct {
	Word      string
	Got, Want int
}

func (e *WidthMismatchError) Error() string {
	return fmt.Sprintf("residual for %q is %d wide, this text encoder is %d wide", e.Word, e.Got, e.Want)
}

// TooLargeError: a file over the size bound, refused before parsing.
type TooLargeError struct {
	What        string // "residual file" or ".pt file"
	Size, Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is %d bytes, more than the %d a residual can need", e.What, e.Size, e.Limit)
}

// VersionError: a residual file of a format version this code does not read.
type VersionError struct{ Got string }

func (e *VersionError) Error() string {
	return fmt.Sprintf("residual file format version %s is not %d (made by a newer program?)", e.Got, FormatVersion)
}
