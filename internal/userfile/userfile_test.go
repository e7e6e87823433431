package userfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReadRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{dir: "is a folder"}
	if runtime.GOOS == "linux" {
		cases["/dev/zero"] = "is a device"
		fifo := filepath.Join(dir, "pipe")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		cases[fifo] = "is a named pipe"
	}
	for path, want := range cases {
		start := time.Now()
		_, err := Read(path, "layout JSON", 1<<20)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line with %q", path, err, want)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: refused after %v", path, d)
		}
	}
}

func TestReadCaps(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f.json")
	if err := os.WriteFile(p, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(p, "residual file", 9); err == nil || !strings.Contains(err.Error(), "10 bytes, more than the 9 a residual file may have") {
		t.Errorf("over the cap: %v", err)
	}
	got, err := Read(p, "residual file", 10)
	if err != nil || string(got) != "0123456789" {
		t.Errorf("at the cap: %q, %v", got, err)
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing"), "x", 1); !os.IsNotExist(err) {
		t.Errorf("missing file: %v", err)
	}
}

func TestAtomicWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.bin")
	if err := WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A failed write leaves the old file and no temporary file.
	f, err := Create(p, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("half"))
	f.Abort()
	f.Abort() // twice is fine
	if err := f.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Errorf("after an aborted write: %q", got)
	}
	if err := WriteWith(p, 0o600, func(w io.Writer) error {
		w.Write([]byte("half"))
		return errors.New("disk full")
	}); err == nil || err.Error() != "disk full" {
		t.Errorf("WriteWith: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only out.bin", len(entries))
	}
	if err := WriteFile(p, []byte("new"), 0o640); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	if got, _ := os.ReadFile(p); string(got) != "new" || st.Mode().Perm() != 0o640 {
		t.Errorf("after a write: %q, mode %v", got, st.Mode())
	}
}
