package headless

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// BuildWasmTest compiles the tests of pkg (an import path or ./dir relative to moduleDir) into a
// js/wasm test binary at out, like `GOOS=js GOARCH=wasm go test -c`.
func BuildWasmTest(moduleDir, pkg, out string) error {
	return goWasm(moduleDir, "test", "-c", "-o", out, pkg)
}

// BuildWasm compiles the main package pkg into a js/wasm binary at out.
func BuildWasm(moduleDir, pkg, out string) error {
	return goWasm(moduleDir, "build", "-o", out, pkg)
}

func goWasm(moduleDir string, args ...string) error {
	if err := os.MkdirAll(filepath.Dir(args[len(args)-2]), 0o755); err != nil {
		return err
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("headless: go %v: %w\n%s", args, err, out)
	}
	return nil
}

// ModuleDir returns the directory holding go.mod, walking up from the working directory.
func ModuleDir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("headless: no go.mod above %s", wd)
		}
	}
}
