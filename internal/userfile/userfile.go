// Package userfile reads and writes the files a person names: on the command line, in a
// layout configuration, or as a model folder. Every read is bounded by a size cap of the
// file's kind and refuses anything but a regular file, because a path such as /dev/zero or a
// named pipe would otherwise make a plain os.ReadFile allocate until the process dies, or block
// forever. Every write goes to a temporary name in the destination's folder and is renamed
// into place, so a failure (or a crash) never leaves a half-written file under the real name.
package userfile

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// kindOf names what a non-regular file is, for the refusal.
func kindOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		return "a device"
	case m&fs.ModeIrregular != 0:
		return "not a regular file"
	}
	return "a special file"
}

// Open opens the regular file at path for reading, refusing devices, pipes, sockets and
// folders, and files over max bytes (max <= 0: no cap). what names the kind of file in the
// error ("layout JSON", "residual file"). It returns the open file and its size.
func Open(path, what string, max int64) (*os.File, int64, error) {
	// Stat first: opening a named pipe for reading blocks until a writer appears.
	st, err := os.Stat(path)
	if err != nil {
		return nil, 0, err
	}
	if err := check(path, what, st, max); err != nil {
		return nil, 0, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, 0, err
	}
	// The path may have been swapped between the Stat and the Open: check what was opened.
	st2, err := f.Stat()
	if err == nil {
		err = check(path, what, st2, max)
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st2.Size(), nil
}

func check(path, what string, st fs.FileInfo, max int64) error {
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s %s is %s, not a file", what, path, kindOf(st.Mode()))
	}
	if max > 0 && st.Size() > max {
		return fmt.Errorf("%s %s is %d bytes, more than the %d a %s may have", what, path, st.Size(), max, what)
	}
	return nil
}

// Read reads the whole regular file at path, at most max bytes (see Open). A file that grows
// past max while it is read is refused too.
func Read(path, what string, max int64) ([]byte, error) {
	f, size, err := Open(path, what, max)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := io.Reader(f)
	if max > 0 {
		r = io.LimitReader(f, max+1)
	}
	var b bytes.Buffer
	b.Grow(int(size) + bytes.MinRead) // the read that sees EOF needs no growth
	if _, err := b.ReadFrom(r); err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	if max > 0 && int64(b.Len()) > max {
		return nil, fmt.Errorf("%s %s grew past the %d bytes a %s may have while it was read", what, path, max, what)
	}
	return b.Bytes(), nil
}

// File is a file being written atomically: write to it, then Commit to put it in place, or
// Abort (safe to defer after a Commit) to leave no trace.
type File struct {
	*os.File
	path string
	perm os.FileMode
	done bool
}

// Create starts an atomic write of path: the data goes to a hidden temporary file in the same
// folder (so the rename is atomic: same file system), which Commit renames over path.
func Create(path string, perm os.FileMode) (*File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, err
	}
	return &File{File: tmp, path: path, perm: perm}, nil
}

// Commit flushes the data to disk and renames the file to its real name.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("%s: already committed or aborted", f.path)
	}
	f.done = true
	err := f.Chmod(f.perm)
	if err == nil {
		// Synced before the rename: after a crash the name holds the old or the new data,
		// never a file whose blocks were not written yet.
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), f.path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	return nil
}

// Abort drops the temporary file. After Commit it does nothing.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.Close()
	os.Remove(f.Name())
}

// WriteFile writes data to path atomically (see Create).
func WriteFile(path string, data []byte, perm os.FileMode) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}

// WriteWith writes path atomically with write filling the file.
func WriteWith(path string, perm os.FileMode, write func(io.Writer) error) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := write(f); err != nil {
		return err
	}
	return f.Commit()
}
