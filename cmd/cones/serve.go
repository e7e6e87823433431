package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/cones2web/cones2/server/web"
	"github.com/cones2web/cones2/ui"
)

func runServe(args []string) error {
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fl.String("addr", "localhost:8080", "address to listen on")
	model := fl.String("model", "weights/default", "model folder to serve (diffusers layout)")
	webDir := fl.String("web", "build/web", "folder with the built wasm program and its loader")
	data := fl.String("data", "build/data", "folder for the server's own data (training jobs)")
	train := addTrainServeFlags(fl)
	if err := fl.Parse(args); err != nil {
		return err
	}
	if err := os.MkdirAll(*data, 0o755); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	assets := []fs.FS{ui.Files}
	if dir, err := web.DirFS(*webDir); err == nil {
		assets = append(assets, dir)
	} else {
		return fmt.Errorf("web folder %s: %w (run `make run`, which builds it)", *webDir, err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := checkModelFolder(*model, logger); err != nil {
		return err
	}
	srv, err := web.New(web.Options{Assets: assets, ModelDir: *model, Logger: logger})
	if err != nil {
		return err
	}
	closeTraining, err := train.mount(srv, *data, *model, logger)
	if err != nil {
		return err
	}
	defer closeTraining()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go verifyModelHashes(ctx, *model, logger)
	return srv.ListenAndServe(ctx, *addr, func(a net.Addr) {
		fmt.Fprintf(os.Stderr, "cones: serving http://%s/ (model %s, build %s)\n", a, *model, srv.Version())
	})
}
