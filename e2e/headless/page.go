package headless

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/chromedp/chromedp"
)

// Page is one tab showing the runner page of a Server.
type Page struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// Open opens a new tab on the runner page at baseURL and forwards its console to the browser's Log.
func (b *Browser) Open(baseURL string) (*Page, error) {
	ctx, cancel := chromedp.NewContext(b.ctx)
	msgs := chromedp.Console(ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(baseURL+"/")); err != nil {
		cancel()
		return nil, fmt.Errorf("headless: open %s: %w", baseURL, err)
	}
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleLog || m.Type == chromedp.ConsoleInfo {
				b.logf("%s", m.Text)
			} else {
				b.logf("%s", m.String())
			}
		}
	}()
	return &Page{ctx: ctx, cancel: cancel}, nil
}

// Close closes the tab.
func (p *Page) Close() { p.cancel() }

// Eval evaluates a JavaScript expression, awaiting a returned promise, and decodes its JSON value
// into out (nil to ignore it). It gives up when ctx ends.
func (p *Page) Eval(ctx context.Context, expr string, out any) error {
	tctx, cancel := context.WithCancel(p.ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	raw, err := chromedp.Run(tctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("headless: eval: %w", ctx.Err())
		}
		return fmt.Errorf("headless: eval: %w", err)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("headless: decode eval result: %w", err)
	}
	return nil
}

// Start starts the Go wasm program at url (served by the page's server) with argv and env and
// returns once it runs; Wait waits for its exit.
func (p *Page) Start(ctx context.Context, url string, argv []string, env map[string]string) error {
	if argv == nil {
		argv = []string{}
	}
	a, _ := json.Marshal(argv)
	if env == nil {
		env = map[string]string{}
	}
	e, _ := json.Marshal(env)
	return p.Eval(ctx, fmt.Sprintf("runGo(%q, %s, %s)", url, a, e), nil)
}

// Wait waits for the program started by Start to exit and returns its exit code.
func (p *Page) Wait(ctx context.Context) (int, error) {
	var code int
	err := p.Eval(ctx, "globalThis.__goDone", &code)
	return code, err
}

// Run starts the wasm program and waits for it to exit.
func (p *Page) Run(ctx context.Context, url string, argv []string, env map[string]string) (int, error) {
	if err := p.Start(ctx, url, argv, env); err != nil {
		return 0, err
	}
	return p.Wait(ctx)
}
