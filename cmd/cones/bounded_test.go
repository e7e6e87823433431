package main

import (
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// copyModel copies the default model (6 MB) to a temporary folder the test may damage.
func copyModel(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "model")
	err := filepath.WalkDir("../../weights/default", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("../../weights/default", p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestServeRefusesBrokenModel: `cones serve` does not start on a model folder with a damaged
// weight file and names the file; a 0- or 3-byte file is reported with its true size.
func TestServeRefusesBrokenModel(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	if err := checkModelFolder("../../weights/default", log); err != nil {
		t.Fatalf("the default model: %v", err)
	}
	const unet = "unet/diffusion_pytorch_model.safetensors"
	for _, size := range []int64{0, 3} {
		for _, manifest := range []bool{true, false} {
			dir := copyModel(t)
			if err := os.Truncate(filepath.Join(dir, unet), size); err != nil {
				t.Fatal(err)
			}
			want := []string{unet, map[int64]string{0: "0 bytes", 3: "3 bytes"}[size]}
			if !manifest {
				os.Remove(filepath.Join(dir, "manifest.json"))
				want = append(want, "shorter than the 8-byte header")
			}
			err := runServe([]string{"-addr", "127.0.0.1:0", "-model", dir, "-web", t.TempDir(), "-data", t.TempDir()})
			for _, w := range want {
				if err == nil || !strings.Contains(err.Error(), w) || strings.Contains(err.Error(), "\n") {
					t.Errorf("%d-byte unet, manifest %v: %v, want one line with %q", size, manifest, err, w)
				}
			}
		}
	}
}

// TestGenerateRefusesDevices: `cones generate` with a layout, layout image or residual that is
// /dev/zero or a named pipe (directly or through an official configuration's residual_dict)
// exits non-zero with a one-line error within a second and well under 300 MB (issue 15: it
// allocated until the runtime died).
func TestGenerateRefusesDevices(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("uses /dev/zero, mkfifo and the child's peak memory")
	}
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	img.Set(10, 10, color.RGBA{255, 0, 0, 255})
	layoutPNG := filepath.Join(dir, "layout.png")
	f, _ := os.Create(layoutPNG)
	png.Encode(f, img)
	f.Close()
	cfg, _ := json.Marshal([]map[string]any{{
		"prompt": "a dog", "residual_dict": map[string]string{"dog": "/dev/zero"},
		"color_context": map[string]any{"255,0,0": []any{"dog", 2.5}}, "guidance_steps": 1,
		"guidance_weight": 0.05, "weight_negative": -1e8, "layout": "layout.png", "subject_list": [][]any{{"dog", 2}},
	}})
	official := filepath.Join(dir, "config.json")
	os.WriteFile(official, cfg, 0o644)
	out := filepath.Join(dir, "out.png")
	base := []string{"generate", "-model", "../../weights/default", "-prompt", "a dog", "-out", out}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-layout", "/dev/zero"}, "is a device"},
		{[]string{"-residual", "/dev/zero"}, "is a device"},
		{[]string{"-residual", "dog=/dev/zero"}, "is a device"},
		{[]string{"-layout", fifo}, "is a named pipe"},
		{[]string{"-layout", official, "-layout-png", "/dev/zero"}, "is a device"},
		{[]string{"-layout", official, "-layout-png", layoutPNG}, "is a device"}, // residual_dict
	} {
		cmd := exec.Command(os.Args[0], append(base, c.args...)...)
		cmd.Env = append(os.Environ(), "CONES_TEST_MAIN=1")
		stderr, _ := cmd.StderrPipe()
		start := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(stderr)
		err := cmd.Wait()
		took := time.Since(start)
		line := strings.TrimSpace(string(msg))
		if err == nil || !strings.Contains(line, c.want) || strings.Count(line, "\n") > 0 {
			t.Errorf("%v: %v, stderr %q; want a non-zero exit and one line with %q", c.args, err, line, c.want)
		}
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // kB on Linux
		if took > time.Second || rss > 300<<20 {
			t.Errorf("%v: took %v and %d MiB", c.args, took, rss>>20)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused run wrote its output")
	}
}
