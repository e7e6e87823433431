package webgpu

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNoWebGPU means the browser exposes no navigator.gpu.
var ErrNoWebGPU = errors.New("webgpu: this browser has no WebGPU (navigator.gpu is missing); " +
	"use a recent Chrome, Edge or Safari, or enable WebGPU in the browser's settings")

// ErrNoAdapter means WebGPU exists but the browser offered no GPU adapter.
var ErrNoAdapter = errors.New("webgpu: the browser offered no GPU adapter " +
	"(the GPU may be blocklisted, disabled, or the page is not in a secure context)")

// ErrDeviceLost is matched (errors.Is) by every DeviceLostError.
var ErrDeviceLost = errors.New("webgpu: GPU device lost")

// LimitError says a GPU limit is too small for what was asked (the model, an image size).
type LimitError struct {
	Limit string // WebGPU limit name, e.g. "maxStorageBufferBindingSize"
	What  string // what needed it, e.g. "unet weight down_blocks.0.attentions.0.proj_in.weight"
	Want  uint64 // needed
	Have  uint64 // the adapter's maximum
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("webgpu: %s needs %s >= %s, but this GPU allows only %s; "+
		"try a smaller image size or a GPU/browser with larger limits",
		e.What, e.Limit, bytesOrCount(e.Limit, e.Want), bytesOrCount(e.Limit, e.Have))
}

func bytesOrCount(limit string, v uint64) string {
	if limit == "maxBufferSize" || limit == "maxStorageBufferBindingSize" {
		return fmt.Sprintf("%d bytes (%.1f MiB)", v, float64(v)/(1<<20))
	}
	return fmt.Sprint(v)
}

// DeviceLostError reports that the device went away (driver reset, GPU process crash, destroy).
type DeviceLostError struct {
	Reason  string // "destroyed" or "unknown"
	Message string
}

func (e *DeviceLostError) Error() string {
	return fmt.Sprintf("webgpu: GPU device lost (%s): %s; reload the page to start again", e.Reason, e.Message)
}

func (e *DeviceLostError) Is(target error) bool { return target == ErrDeviceLost }

// GPUError is a validation, out-of-memory or internal error the device reported.
type GPUError struct {
	Kind    string // "validation", "out-of-memory", "internal"
	Message string
}

func (e *GPUError) Error() string {
	return fmt.Sprintf("webgpu: %s error: %s", e.Kind, e.Message)
}

// JSError is an exception or promise rejection from the browser.
type JSError struct {
	Name    string
	Message string
}

func (e *JSError) Error() string {
	if e.Name == "" {
		return "webgpu: " + e.Message
	}
	return "webgpu: " + e.Name + ": " + e.Message
}

// instanceDropped reports whether a rejected WebGPU promise says that the browser dropped the
// WebGPU instance or the device (Dawn's wording when the GPU process is gone).
func instanceDropped(err error) bool {
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "instance dropped") || strings.Contains(msg, "device is lost") ||
		strings.Contains(msg, "device lost")
}
