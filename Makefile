# Two commands matter: `make run` (set up and start the product on the embedded default model)
# and `make test` (every check CI runs). See README.md.

GO       ?= go
ADDR     ?= localhost:8080
export CONES_FIXTURES ?= $(abspath ../shared/fixtures)

# Pure-Go packages that must also compile for the browser.
WASM_PKGS := ./cones/... ./weights/... ./internal/...

.PHONY: run test vet wasm-check fmt-check clean

run:
	$(GO) run ./cmd/cones serve -addr $(ADDR)

test: fmt-check vet wasm-check
	$(GO) test -count=1 -timeout 60m ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./wasm/... ./webgpu/...
	@if command -v staticcheck >/dev/null 2>&1; then staticcheck ./...; \
	else echo "staticcheck not installed (go install honnef.co/go/tools/cmd/staticcheck@v0.8.2)"; exit 1; fi

wasm-check:
	GOOS=js GOARCH=wasm $(GO) build -o /dev/null $(WASM_PKGS)

clean:
	rm -rf build
