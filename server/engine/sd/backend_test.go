package sd

import (
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
)

func TestNewBackendHonoursEnv(t *testing.T) {
	t.Setenv(backends.ConfigEnvVar, "")
	b, err := NewBackend()
	if err != nil || b.String() != "go" {
		t.Fatalf("default backend: %v, %v", b, err)
	}
	t.Setenv(backends.ConfigEnvVar, "go:parallelism=1")
	if _, err := NewBackend(); err != nil {
		t.Fatalf("go with options: %v", err)
	}
	t.Setenv(backends.ConfigEnvVar, "tpu9")
	if _, err := NewBackend(); err == nil || !strings.Contains(err.Error(), "not compiled in") {
		t.Fatalf("unknown backend: %v", err)
	}
}
