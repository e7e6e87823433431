package main

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The upload flood of issue 15, replayed against `cones serve` in a child process on
// 127.0.0.1: 16 requests at once, each nine 6000x6000 PNGs (36 megapixels, about 100 KB each,
// under every per-photo limit) and one truncated PNG. Before the server had a decoding budget
// this took it to 5 GB and three minutes a request; now the server must stay under its 1 GiB
// budget, answer every request, and answer /api/train/info throughout and right after.
const (
	floodRequests = 16
	floodPhotos   = 9
	floodSide     = 6000
	floodBudget   = 1 << 30 // the server's default -memory
)

func TestUploadFlood(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads the server's memory from /proc")
	}
	big := bigPNG(t, floodSide, floodSide)
	truncated := big[:len(big)/2]
	srv := startServe(t)

	// The server's resident memory, sampled while the flood runs; VmHWM at the end is the peak.
	stopSampling := make(chan struct{})
	var samplerDone sync.WaitGroup
	samplerDone.Add(1)
	go func() {
		defer samplerDone.Done()
		for {
			select {
			case <-stopSampling:
				return
			case <-time.After(50 * time.Millisecond):
				procStatus(srv.pid, "VmRSS")
			}
		}
	}()

	// /api/train/info while the flood runs: it must keep answering, and quickly.
	infoCtx, stopInfo := context.WithCancel(context.Background())
	var infoWorst time.Duration
	var infoCount, infoBad int
	var infoDone sync.WaitGroup
	infoDone.Add(1)
	go func() {
		defer infoDone.Done()
		for infoCtx.Err() == nil {
			start := time.Now()
			code := get(t, srv.url+"/api/train/info")
			infoWorst = max(infoWorst, time.Since(start))
			infoCount++
			if code != http.StatusOK {
				infoBad++
			}
			select {
			case <-infoCtx.Done():
			case <-time.After(250 * time.Millisecond):
			}
		}
	}()

	start := time.Now()
	statuses := make([]int, floodRequests)
	errs := make([]error, floodRequests)
	var wg sync.WaitGroup
	for i := range floodRequests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], errs[i] = upload(srv.url, big, truncated)
		}()
	}
	wg.Wait()
	flood := time.Since(start)
	stopInfo()
	infoDone.Wait()
	close(stopSampling)
	samplerDone.Wait()

	after := get(t, srv.url+"/api/train/info")
	peak := procStatus(srv.pid, "VmHWM")
	counts := map[int]int{}
	for i, code := range statuses {
		if errs[i] != nil {
			t.Errorf("request %d got no answer: %v", i, errs[i])
		}
		counts[code]++
		if code == http.StatusAccepted || code >= 500 && code != http.StatusServiceUnavailable {
			t.Errorf("request %d: status %d, want a refusal (422 for the truncated photo, or 503 busy)", i, code)
		}
	}
	t.Logf("%d uploads of %d %dx%d PNGs (%d KB each) + 1 truncated: answered in %v, statuses %v; server peak RSS %d MiB (budget %d MiB); /api/train/info answered %d times during the flood, slowest %v",
		floodRequests, floodPhotos, floodSide, floodSide, len(big)>>10, flood.Round(time.Millisecond), counts, peak>>20, floodBudget>>20, infoCount, infoWorst.Round(time.Millisecond))
	if peak >= floodBudget {
		t.Errorf("server peak RSS %d MiB, over the %d MiB budget", peak>>20, floodBudget>>20)
	}
	if after != http.StatusOK || infoBad > 0 {
		t.Errorf("/api/train/info: %d right after the flood, %d failures of %d during it", after, infoBad, infoCount)
	}
	if infoWorst > 5*time.Second {
		t.Errorf("/api/train/info took %v during the flood", infoWorst)
	}
	// No job was created and no staged photo left behind.
	entries, _ := os.ReadDir(filepath.Join(srv.data, "jobs"))
	if len(entries) != 0 {
		t.Errorf("the jobs folder holds %d entries after refused uploads", len(entries))
	}
}

// served is a `cones serve` child process.
type served struct {
	url, data string
	pid       int
}

// startServe runs `cones serve` on 127.0.0.1 with the default model and its default budget.
func startServe(t *testing.T) *served {
	t.Helper()
	web := t.TempDir()
	for name, data := range map[string]string{"app.wasm": "\x00asm", "wasm_exec.js": "// loader"} {
		if err := os.WriteFile(filepath.Join(web, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, os.Args[0], "serve", "-addr", "127.0.0.1:0", "-model", "../../weights/default",
		"-web", web, "-data", data, "-upload-wait", "2s") // the default budget; a shorter wait keeps the test short
	cmd.Env = append(os.Environ(), "CONES_TEST_MAIN=1")
	cmd.WaitDelay = 5 * time.Second
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
	})
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`serving (http://[^/ ]+)/`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case u := <-addr:
		return &served{url: u, data: data, pid: cmd.Process.Pid}
	case <-time.After(30 * time.Second):
		t.Fatal("cones serve did not start within 30 s")
	}
	return nil
}

// upload posts one flood request, streaming its body, and returns the status.
func upload(url string, photo, truncated []byte) (int, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			for k, v := range map[string]string{"word": "dog", "steps": "1"} {
				if err := mw.WriteField(k, v); err != nil {
					return err
				}
			}
			for i := range floodPhotos + 1 {
				data := photo
				if i == floodPhotos {
					data = truncated
				}
				w, err := mw.CreateFormFile("images", fmt.Sprintf("p%d.png", i))
				if err != nil {
					return err
				}
				if _, err := w.Write(data); err != nil {
					return err
				}
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequest("POST", url+"/api/train", pr)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	client := &http.Client{Timeout: 60 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
		return resp.StatusCode, fmt.Errorf("503 without Retry-After")
	}
	return resp.StatusCode, nil
}

func get(t *testing.T, url string) int {
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Get(url)
	if err != nil {
		t.Errorf("GET %s: %v", url, err)
		return 0
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// procStatus reads one memory field of /proc/PID/status, in bytes.
func procStatus(pid int, field string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// bigPNG writes a w x h RGB PNG row by row (each row one grey level), never holding its pixels:
// a file of about a hundred kilobytes that decodes to w*h*4 bytes.
func bigPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&buf, binary.BigEndian, uint32(len(data)))
		c := crc32.NewIEEE()
		c.Write([]byte(typ))
		c.Write(data)
		buf.WriteString(typ)
		buf.Write(data)
		binary.Write(&buf, binary.BigEndian, c.Sum32())
	}
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	chunk("IHDR", append(ihdr, 8, 2, 0, 0, 0)) // 8-bit RGB, not interlaced
	var idat bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&idat, zlib.BestSpeed)
	row := make([]byte, 1+3*w) // filter byte 0, then the pixels
	for y := range h {
		for i := 1; i < len(row); i++ {
			row[i] = byte(y)
		}
		zw.Write(row)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	chunk("IDAT", idat.Bytes())
	chunk("IEND", nil)
	return buf.Bytes()
}
