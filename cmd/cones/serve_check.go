package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/cones2web/cones2/weights"
)

// checkModelFolder refuses to serve a broken model folder: every file its manifest lists must be
// there with its recorded size and a header that matches, and every component must bind (see
// weights.VerifyQuick). Without the check a truncated weight file is found only by a browser
// that downloaded the rest, or by training. Hashes are left to verifyModelHashes.
func checkModelFolder(dir string, log *slog.Logger) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("model folder: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("model folder %s is not a folder", dir)
	}
	manifest, problems := weights.VerifyQuick(os.DirFS(dir))
	switch len(problems) {
	case 0:
	case 1:
		return fmt.Errorf("model folder %s is broken: %v (convert it again, or run `weights verify -dir %s`)", dir, problems[0], dir)
	default:
		return fmt.Errorf("model folder %s is broken: %v, and %d more problems (`weights verify -dir %s` lists them)",
			dir, problems[0], len(problems)-1, dir)
	}
	if !manifest {
		log.Warn("the model folder has no manifest.json: its files are not checked by hash, and the page cannot verify them (make one with `weights convert`)", "model", dir)
	}
	return nil
}

// verifyModelHashes re-hashes every file of the folder against its manifest in the background
// (a large model takes minutes to read, too long to hold up the start) and logs what differs:
// the page refuses such files after downloading them, so the person serving must know.
func verifyModelHashes(ctx context.Context, dir string, log *slog.Logger) {
	if _, err := os.Stat(dir + string(os.PathSeparator) + weights.ManifestName); err != nil {
		return
	}
	start := time.Now()
	problems := weights.Verify(dir)
	if ctx.Err() != nil {
		return
	}
	for _, p := range problems {
		log.Error("model file does not match its manifest; the page will refuse it (convert the model again)", "model", dir, "problem", p)
	}
	if len(problems) == 0 {
		log.Info("model folder verified", "model", dir, "took", time.Since(start).Round(time.Millisecond))
	}
}
