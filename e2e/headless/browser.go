package headless

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/chromedp/chromedp"
)

// SkipEnv names the environment variable that, set to 1, lets browser tests skip when Chromium is
// missing; without it a missing browser is a test failure, so CI never passes vacuously.
const SkipEnv = "CONES_SKIP_BROWSER"

// ErrNoChromium is returned when no Chromium executable is found.
var ErrNoChromium = errors.New("chromium not found in PATH (install it with `apt-get install -y chromium`, " +
	"set CHROMIUM to its path, or set " + SkipEnv + "=1 to skip browser tests)")

// Options choose how the browser starts.
type Options struct {
	// GPU uses the host's GPU adapter instead of SwiftShader (for benchmarks on a real GPU).
	GPU bool
	// Log receives the browser console, one line per message; nil discards it.
	Log func(line string)
}

// FindChromium returns the path of the Chromium executable: $CHROMIUM, else the first of
// chromium, chromium-browser, google-chrome found in PATH.
func FindChromium() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("CHROMIUM=%s: %w", p, err)
		}
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoChromium
}

// Browser is one running headless Chromium with a fresh profile.
type Browser struct {
	ctx    context.Context // browser context (first tab)
	cancel context.CancelFunc
	opts   Options
	dir    string
}

// Start launches Chromium with WebGPU enabled and a fresh user-data-dir.
func Start(ctx context.Context, opts Options) (*Browser, error) {
	exe, err := FindChromium()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "cones-chromium-")
	if err != nil {
		return nil, fmt.Errorf("headless: profile dir: %w", err)
	}
	actx, acancel := chromedp.NewExecAllocator(ctx, AllocatorOptions(exe, dir, opts)...)
	bctx, bcancel := chromedp.NewContext(actx)
	b := &Browser{ctx: bctx, opts: opts, dir: dir, cancel: func() { bcancel(); acancel() }}
	// Start the browser now so that a broken install fails here, with its own message.
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		b.Close()
		return nil, fmt.Errorf("headless: start %s: %w", exe, err)
	}
	return b, nil
}

// AllocatorOptions are the command-line options every test browser starts with: headless, a
// fresh profile in profileDir, WebGPU on SwiftShader (or the host's GPU with opts.GPU), and no
// background traffic or throttling (the machine's network is closed, and a backgrounded tab must
// not slow a GPU run down).
func AllocatorOptions(exe, profileDir string, opts Options) []chromedp.ExecAllocatorOption {
	flags := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(profileDir),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.Flag("enable-unsafe-webgpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-hang-monitor", true),
	}
	if opts.GPU {
		return append(flags, chromedp.Flag("enable-features", "Vulkan"), chromedp.Flag("use-angle", "vulkan"),
			chromedp.Flag("enable-dawn-features", "allow_unsafe_apis"))
	}
	return append(flags, chromedp.Flag("use-webgpu-adapter", "swiftshader"))
}

// Close stops the browser and removes its profile.
func (b *Browser) Close() {
	b.cancel()
	os.RemoveAll(b.dir)
}

func (b *Browser) logf(format string, args ...any) {
	if b.opts.Log != nil {
		b.opts.Log(strings.TrimRight(fmt.Sprintf(format, args...), "\n"))
	}
}
