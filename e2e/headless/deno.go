package headless

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

//go:embed deno_runner.js
var denoRunner []byte

// Command is one harness call for RunDeno.
type Command struct {
	Method string `json:"method"`
	Arg    any    `json:"arg"`
}

// Answer is one harness result from RunDeno.
type Answer struct {
	Method string          `json:"method"`
	OK     bool            `json:"ok"`
	MS     float64         `json:"ms"`
	Out    json.RawMessage `json:"out"`
	Error  string          `json:"error"`
}

// RunDeno runs the harness wasm under Deno (WebGPU on the host GPU, no browser), serving root
// over HTTP, and returns the answers of cmds. log receives Deno's other output lines.
func RunDeno(ctx context.Context, deno, harnessWasm, root string, cmds []Command, log func(string)) ([]Answer, error) {
	dir, err := os.MkdirTemp("", "cones-deno-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return nil, fmt.Errorf("headless: go env GOROOT: %w", err)
	}
	wasmExec, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		return nil, err
	}
	cj, err := json.Marshal(cmds)
	if err != nil {
		return nil, err
	}
	for name, data := range map[string][]byte{"deno_runner.js": denoRunner, "wasm_exec.js": wasmExec, "commands.json": cj} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return nil, err
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	cmd := exec.CommandContext(ctx, deno, "run", "-A", "--unstable-webgpu", "--location", "http://127.0.0.1:"+port+"/",
		filepath.Join(dir, "deno_runner.js"), root, port, harnessWasm, filepath.Join(dir, "commands.json"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("headless: start deno: %w", err)
	}
	var answers []Answer
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Text()
		var a Answer
		if strings.HasPrefix(line, `{"method"`) && json.Unmarshal([]byte(line), &a) == nil {
			answers = append(answers, a)
			continue
		}
		if log != nil {
			log(line)
		}
	}
	if err := cmd.Wait(); err != nil {
		if n := len(answers); n > 0 && !answers[n-1].OK {
			return answers, fmt.Errorf("headless: %s: %s", answers[n-1].Method, answers[n-1].Error)
		}
		return answers, fmt.Errorf("headless: deno: %w\n%s", err, stderr.String())
	}
	return answers, nil
}
