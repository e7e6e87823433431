package webgpu

import (
	"errors"
	"strings"
	"testing"
)

func TestLimitsCheck(t *testing.T) {
	have := Default()
	if err := have.Check(Kernels(), "kernels"); err != nil {
		t.Fatalf("defaults do not satisfy the kernels: %v", err)
	}
	need := Limits{MaxStorageBufferBindingSize: 1 << 30}
	err := have.Check(need, "vae decode at 768x768")
	var le *LimitError
	if !errors.As(err, &le) {
		t.Fatalf("err = %v, want *LimitError", err)
	}
	if le.Limit != "maxStorageBufferBindingSize" || le.Want != 1<<30 || le.Have != 128<<20 {
		t.Errorf("got %+v", le)
	}
	for _, s := range []string{"vae decode at 768x768", "1024.0 MiB", "128.0 MiB"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("message %q lacks %q", err, s)
		}
	}
	// alignments: smaller is better
	if err := have.Check(Limits{MinStorageBufferOffsetAlignment: 32}, "x"); err == nil {
		t.Error("alignment 256 accepted where 32 is needed")
	}
	if err := have.Check(Limits{MinStorageBufferOffsetAlignment: 512}, "x"); err != nil {
		t.Errorf("alignment 256 rejected where 512 is enough: %v", err)
	}
}

func TestErrors(t *testing.T) {
	lost := &DeviceLostError{Reason: "unknown", Message: "GPU process crashed"}
	if !errors.Is(lost, ErrDeviceLost) {
		t.Error("DeviceLostError does not match ErrDeviceLost")
	}
	if !strings.Contains(lost.Error(), "GPU process crashed") {
		t.Error(lost.Error())
	}
	if !strings.Contains(ErrNoWebGPU.Error(), "navigator.gpu") {
		t.Error(ErrNoWebGPU)
	}
}

// A crashed GPU process rejects pending promises with Dawn's words for it; those count as a
// lost device, other failures do not.
func TestInstanceDropped(t *testing.T) {
	for msg, want := range map[string]bool{
		"OperationError: Instance dropped error in getCompilationInfo": true,
		"OperationError: Device is lost":                               true,
		"Failed to execute 'mapAsync': Device lost":                    true,
		"OperationError: mapAsync aborted":                             false,
		"compile embed: 3:4: error: unresolved identifier":             false,
	} {
		if got := instanceDropped(errors.New(msg)); got != want {
			t.Errorf("instanceDropped(%q) = %v, want %v", msg, got, want)
		}
	}
}
