# Two commands matter: `make run` (set up and start the product on the embedded default model)
# and `make test` (every check CI runs). See README.md.

GO       ?= go
ADDR     ?= localhost:8080
export CONES_FIXTURES ?= $(abspath ../shared/fixtures)

# Go's SIMD experiment (Go 1.26): the CPU engine's matrix and element-wise kernels
# (server/engine/cpukernels) use AVX2+FMA through simd/archsimd when it is on, portable Go
# otherwise (about 7x slower in matrix products). It only adds the simd/archsimd package on amd64, so
# the wasm build and other architectures are unaffected. `GOEXPERIMENT= make ...` turns it off.
export GOEXPERIMENT ?= simd

# Bash, for pipefail: the test targets pipe go test's output through a formatter, and a failing
# test must still fail make.
SHELL := /bin/bash

# Pure-Go packages that must also compile for the browser.
WASM_PKGS := ./cones/... ./weights/... ./internal/... ./gpugraph/...

.PHONY: run web test vet wasm-check wasm-test fmt-check clean pretrain eval tiny deno

# The default model: trained from scratch by `make pretrain` (docs/evaluation.md) and committed.
MODEL    ?= weights/default
WEB      := build/web

run: web
	$(GO) run ./cmd/cones serve -addr $(ADDR) -model $(MODEL) -web $(WEB)

# The page: Go compiled to wasm plus Go's own loader script.
web:
	mkdir -p $(WEB)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags=-s -o $(WEB)/app.wasm ./wasm
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" $(WEB)/wasm_exec.js

# Retrain the default model from scratch (VAE, then text encoder + UNet: 54 min for the latter on
# two busy cores, see docs/evaluation.md). The run
# resumes where an interrupted one stopped; `rm -rf build/pretrain` starts it over.
pretrain:
	$(GO) run ./cmd/cones pretrain -work build/pretrain -out weights/default

# The evaluation tables of docs/evaluation.md, with a picture grid of every section in build/eval.
eval:
	$(GO) run ./cmd/cones eval -model $(MODEL) -md build/eval/tables.md -images build/eval

# A seeded random model in the fixtures' sizes (noise only; for trying real-weights plumbing).
tiny:
	$(GO) run ./cmd/weights tiny -out build/tiny -seed 0

# 9-29 minutes on two cores (README), nearly all of it the browser suite (e2e). `go test -json` goes through
# internal/testprogress, which prints a timestamped line per finished test (and per subtest of a
# second or more) and package, the output of failures, what is running after a quiet minute, and
# the failures again at the end.
PROGRESS := build/testprogress

test: fmt-check vet wasm-check wasm-test $(PROGRESS) deno
	set -o pipefail; $(GO) test -json -count=1 -timeout 60m ./... | $(PROGRESS)

# Deno, for the one test of the kernels that read f16 as WGSL's f16 (e2e TestShaderF16): Chromium's
# SwiftShader has no shader-f16, Mesa's llvmpipe under Deno's WebGPU has. Installed from npm into
# build/deno once; the test also takes $$CONES_DENO or a deno on the PATH (CONES_SKIP_DENO=1: neither).
DENO_DIR := build/deno

deno:
	@if [ "$$CONES_SKIP_DENO" != 1 ] && ! command -v deno >/dev/null 2>&1 && [ -z "$$CONES_DENO" ] && ! ls $(DENO_DIR)/node_modules/@deno/*/deno >/dev/null 2>&1; then \
		npm install --silent --prefix $(DENO_DIR) --no-save deno@2; fi

$(PROGRESS): $(wildcard internal/testprogress/*.go)
	mkdir -p $(@D)
	$(GO) build -o $@ ./internal/testprogress

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./wasm/... ./webgpu/...
	@command -v staticcheck >/dev/null 2>&1 || { echo "staticcheck not installed (go install honnef.co/go/tools/cmd/staticcheck@v0.8.2)"; exit 1; }
	staticcheck ./...
	GOOS=js GOARCH=wasm staticcheck ./wasm/... ./webgpu/...

wasm-check:
	GOOS=js GOARCH=wasm $(GO) build -o /dev/null $(WASM_PKGS)

# The pure-Go core also runs its tests as wasm (under Node), the way the browser runs it.
wasm-test: $(PROGRESS)
	set -o pipefail; PATH="$$($(GO) env GOROOT)/lib/wasm:$$PATH" GOOS=js GOARCH=wasm $(GO) test -json -count=1 ./cones/... ./wasm/... | $(PROGRESS)

clean:
	rm -rf build
