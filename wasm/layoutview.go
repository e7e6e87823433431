//go:build js && wasm

package main

import (
	"fmt"
	"math"
	"strconv"
	"syscall/js"

	"github.com/cones2web/cones2/wasm/editor"
	"github.com/cones2web/cones2/wasm/prompt"
)

// grabPixels is how close (in CSS pixels) a pointer must come to an edge or corner to grab it:
// about a fingertip's half width, so touch works as well as a mouse.
const grabPixels = 12

func (a *app) wireLayout() {
	c := a.el.canvas
	setText(a.el.layoutKeys, editor.KeyHelp)
	on(c, "pointerdown", func(ev js.Value) {
		if ev.Get("pointerType").String() == "mouse" && ev.Get("button").Int() != 0 {
			return
		}
		ev.Call("preventDefault") // no text selection, no scrolling while drawing
		c.Call("focus", map[string]any{"preventScroll": true})
		// Capture keeps the drag when the pointer leaves the canvas; a browser may refuse it
		// (the pointer is already gone), and the drag still works inside the canvas.
		call(c, "setPointerCapture", ev.Get("pointerId"))
		p, tol := a.canvasPoint(ev)
		a.ed.PointerDown(p, tol)
		a.drawLayout()
	})
	on(c, "pointermove", func(ev js.Value) {
		p, tol := a.canvasPoint(ev)
		if !a.ed.Dragging() {
			_, h := a.ed.HitTest(p, tol)
			c.Get("style").Set("cursor", h.Cursor())
			return
		}
		if a.ed.PointerMove(p) {
			a.drawLayout()
		}
	})
	on(c, "pointerup", func(ev js.Value) {
		if !a.ed.Dragging() {
			return
		}
		p, _ := a.canvasPoint(ev)
		a.ed.PointerUp(p)
		a.layoutChanged(true)
	})
	on(c, "pointercancel", func(js.Value) {
		a.ed.PointerCancel()
		a.layoutChanged(false)
	})
	on(c, "keydown", func(ev js.Value) {
		if ev.Get("ctrlKey").Bool() || ev.Get("metaKey").Bool() {
			return
		}
		if a.ed.Key(ev.Get("key").String(), ev.Get("shiftKey").Bool(), ev.Get("altKey").Bool()) {
			ev.Call("preventDefault")
			a.layoutChanged(true)
		}
	})
	on(js.Global(), "resize", func(js.Value) {
		a.resizeCanvas()
		a.drawLayout()
	})
	on(a.el.newWord, "change", func(js.Value) {
		a.wordChosen = a.el.newWord.Get("value").String()
		a.ed.SetNewWord(a.wordChosen)
	})
	on(a.el.boxAdd, "click", func(js.Value) {
		a.ed.AddCentered()
		a.layoutChanged(true)
		a.el.canvas.Call("focus")
	})
	on(a.el.boxClear, "click", func(js.Value) {
		a.ed.Clear()
		a.layoutChanged(false)
		message(a.el.layoutMessage, "Layout cleared.", false)
	})
	for _, in := range []js.Value{a.el.width, a.el.height} {
		on(in, "change", func(js.Value) {
			a.sizeChosen = true
			a.sizeChanged()
		})
	}
	a.wireLayoutFiles()
}

// canvasPoint converts a pointer event to image-relative coordinates and the grab tolerance.
func (a *app) canvasPoint(ev js.Value) (p, tol editor.Point) {
	r := a.el.canvas.Call("getBoundingClientRect")
	w, h := r.Get("width").Float(), r.Get("height").Float()
	if w <= 0 || h <= 0 {
		return editor.Point{}, editor.Point{}
	}
	p = editor.Point{
		X: (ev.Get("clientX").Float() - r.Get("left").Float()) / w,
		Y: (ev.Get("clientY").Float() - r.Get("top").Float()) / h,
	}
	return p, editor.Point{X: grabPixels / w, Y: grabPixels / h}
}

// layoutChanged redraws after an edit; announce tells screen readers where the selected box is.
func (a *app) layoutChanged(announce bool) {
	a.drawLayout()
	a.renderBoxes()
	a.analyzePrompt()
	a.saveDraft()
	if !announce {
		return
	}
	if b, ok := a.ed.Selected(); ok {
		setText(a.el.layoutLive, fmt.Sprintf("Box %d of %d selected. %s", a.boxNumber(b.ID), a.ed.Len(), a.ed.Describe(b)))
	} else {
		setText(a.el.layoutLive, fmt.Sprintf("%d boxes, none selected.", a.ed.Len()))
	}
}

func (a *app) boxNumber(id int) int {
	for i, b := range a.ed.Boxes() {
		if b.ID == id {
			return i + 1
		}
	}
	return 0
}

func (a *app) formSize() (int, int) {
	w, _ := strconv.Atoi(a.el.width.Get("value").String())
	h, _ := strconv.Atoi(a.el.height.Get("value").String())
	if w < editor.MinPixels || h < editor.MinPixels {
		return 512, 512
	}
	return w, h
}

// sizeChanged follows the width and height fields: the canvas is always the output's size.
func (a *app) sizeChanged() {
	w, h := a.formSize()
	if cw, ch := a.ed.Size(); cw == w && ch == h {
		return
	}
	if err := a.ed.SetSize(w, h); err != nil {
		message(a.el.layoutMessage, err.Error(), true)
		return
	}
	a.resizeCanvas()
	a.layoutChanged(false)
	a.showGPUFit()
}

// resizeCanvas gives the canvas the output's shape. Its backing store is the output size times
// a whole factor that reaches the screen's resolution, so a 128-pixel layout still draws crisp
// lines and labels; drawing then happens in output pixels through a transform.
func (a *app) resizeCanvas() {
	w, h := a.ed.Size()
	c := a.el.canvas
	cssW := c.Call("getBoundingClientRect").Get("width").Float()
	dpr := js.Global().Get("devicePixelRatio").Float()
	k := 1
	if cssW > 0 && dpr > 0 {
		k = min(8, max(1, int(math.Ceil(cssW*dpr/float64(w)))))
	}
	a.canvasScale = k
	c.Set("width", w*k)
	c.Set("height", h*k)
	c.Get("dataset").Set("width", w)
	c.Get("dataset").Set("height", h)
}

// drawLayout paints every box: a translucent fill in the subject's colour, an outline, a label,
// and handles on the selected one.
func (a *app) drawLayout() {
	c := a.el.canvas
	ctx := c.Call("getContext", "2d")
	w, h := a.ed.Size()
	k := float64(a.canvasScale)
	ctx.Call("setTransform", k, 0, 0, k, 0, 0)
	ctx.Call("clearRect", 0, 0, w, h)
	cssW := c.Call("getBoundingClientRect").Get("width").Float()
	scale := 1.0
	if cssW > 0 {
		scale = float64(w) / cssW // canvas pixels per CSS pixel
	}
	sel, hasSel := a.ed.Selected()
	for n, b := range a.ed.Boxes() {
		x, y, bw, bh := a.ed.Pixels(b)
		colour := a.colourOf(b.Word)
		if b.Word == "" {
			colour = "#888888"
		}
		if b.Mask != nil {
			ctx.Set("imageSmoothingEnabled", false)
			ctx.Call("drawImage", a.maskCanvas(b, colour), 0, 0, w, h)
		} else {
			ctx.Set("globalAlpha", 0.25)
			ctx.Set("fillStyle", colour)
			ctx.Call("fillRect", x, y, bw, bh)
			ctx.Set("globalAlpha", 1.0)
		}
		selected := hasSel && sel.ID == b.ID
		// Sizes are in CSS pixels times scale: the backing store is fine enough to draw them.
		ctx.Set("strokeStyle", colour)
		ctx.Set("lineWidth", 2*scale)
		if selected {
			ctx.Set("lineWidth", 3*scale)
			ctx.Call("setLineDash", []any{6 * scale, 3 * scale})
		}
		ctx.Call("strokeRect", x, y, bw, bh)
		ctx.Call("setLineDash", []any{})
		a.drawLabel(ctx, fmt.Sprintf("%d %s", n+1, labelWord(b.Word)), x, y, colour, scale)
		if selected && b.Mask == nil {
			drawHandles(ctx, x, y, bw, bh, scale)
		}
	}
}

func labelWord(w string) string {
	if w == "" {
		return "(no subject)"
	}
	return w
}

func (a *app) drawLabel(ctx js.Value, text string, x, y int, colour string, scale float64) {
	size := 13 * scale
	ctx.Set("font", fmt.Sprintf("600 %.0fpx system-ui, sans-serif", size))
	tw := ctx.Call("measureText", text).Get("width").Float()
	pad := 3 * scale
	ctx.Set("fillStyle", colour)
	ctx.Call("fillRect", x, y, tw+2*pad, size+2*pad)
	ctx.Set("fillStyle", "#111111")
	ctx.Set("textBaseline", "top")
	ctx.Call("fillText", text, float64(x)+pad, float64(y)+pad)
}

func drawHandles(ctx js.Value, x, y, w, h int, scale float64) {
	s := 8 * scale
	ctx.Set("fillStyle", "#ffffff")
	ctx.Set("strokeStyle", "#111111")
	ctx.Set("lineWidth", scale)
	for _, p := range [][2]float64{
		{0, 0}, {0.5, 0}, {1, 0}, {1, 0.5}, {1, 1}, {0.5, 1}, {0, 1}, {0, 0.5},
	} {
		cx := float64(x) + p[0]*float64(w) - s/2
		cy := float64(y) + p[1]*float64(h) - s/2
		ctx.Call("fillRect", cx, cy, s, s)
		ctx.Call("strokeRect", cx, cy, s, s)
	}
}

// maskCanvas renders an imported mask region once into an offscreen canvas at the mask's own
// resolution, in the subject's colour; the layout canvas scales it to the output size.
func (a *app) maskCanvas(b editor.Box, colour string) js.Value {
	key := b.ID
	if c, ok := a.maskCanvases[key]; ok && c.Get("dataset").Get("colour").String() == colour {
		return c
	}
	m := b.Mask
	c := document.Call("createElement", "canvas")
	c.Set("width", m.W)
	c.Set("height", m.H)
	c.Get("dataset").Set("colour", colour)
	r, g, bl := hexColour(colour)
	px := make([]byte, 4*m.W*m.H)
	for i, in := range m.In {
		if in {
			px[4*i], px[4*i+1], px[4*i+2], px[4*i+3] = r, g, bl, 96
		}
	}
	ctx := c.Call("getContext", "2d")
	img := ctx.Call("createImageData", m.W, m.H)
	js.CopyBytesToJS(img.Get("data"), px)
	ctx.Call("putImageData", img, 0, 0)
	a.maskCanvases[key] = c
	return c
}

func hexColour(s string) (r, g, b uint8) {
	var v uint32
	fmt.Sscanf(s, "#%06x", &v)
	return uint8(v >> 16), uint8(v >> 8), uint8(v)
}

// wordChoices are the words and phrases a box can take: the library's subjects, what the prompt
// names (whole phrases such as "red circle" for a model whose example names phrases, single
// words otherwise; prompt.Candidates), words boxes use.
func (a *app) wordChoices() []string {
	return prompt.Choices(a.tok, a.promptText(), a.model.examplePhrases(), a.subjectWords(), a.ed.Words())
}

// refreshWordChoices fills the "New boxes are for" menu with the words a box can take, showing
// the person's pick whenever it is offered (prompt.Pick): one that left with the prompt is not
// shown (a box drawn for it would guide nothing), and comes back when the prompt has it again.
func (a *app) refreshWordChoices() {
	choices := a.wordChoices()
	sel := a.el.newWord
	word := prompt.Pick(choices, a.wordChosen, sel.Get("value").String())
	fillOptions(sel, choices, word, "(no subject yet)")
	a.ed.SetNewWord(sel.Get("value").String())
}

// fillOptions replaces a select's options, keeping value selected (added if missing).
func fillOptions(sel js.Value, words []string, value, none string) {
	empty(sel)
	found := false
	if value == "" || len(words) == 0 {
		opt := el("option", none)
		opt.Set("value", "")
		sel.Call("append", opt)
	}
	for _, w := range words {
		opt := el("option", w)
		opt.Set("value", w)
		sel.Call("append", opt)
		found = found || w == value
	}
	if !found && value != "" {
		opt := el("option", value)
		opt.Set("value", value)
		sel.Call("append", opt)
	}
	sel.Set("value", value)
}

// renderBoxes rebuilds the table of boxes: the keyboard and screen-reader view of the layout.
func (a *app) renderBoxes() {
	list := a.el.boxList
	empty(list)
	choices := a.wordChoices()
	sel, hasSel := a.ed.Selected()
	for n, b := range a.ed.Boxes() {
		id := b.ID
		num := n + 1
		tr := el("tr", "")
		if hasSel && sel.ID == id {
			tr.Set("className", "selected")
		}
		td := el("td", "")
		sw := el("span", "")
		sw.Set("className", "swatch")
		sw.Get("style").Call("setProperty", "background", a.colourOf(b.Word))
		td.Call("append", sw, strconv.Itoa(num))
		tr.Call("append", td)

		word := el("select", "")
		word.Call("setAttribute", "aria-label", fmt.Sprintf("Subject of box %d", num))
		fillOptions(word, choices, b.Word, "(choose a subject)")
		on(word, "change", func(js.Value) {
			a.ed.SetWord(id, word.Get("value").String())
			a.layoutChanged(false)
		})
		tr.Call("append", cell(word))

		strength := el("input", "")
		strength.Set("type", "number")
		strength.Set("min", "0.5")
		strength.Set("max", editor.MaxStrength)
		strength.Set("step", "0.5")
		strength.Set("value", strconv.FormatFloat(b.Strength, 'g', -1, 64))
		strength.Call("setAttribute", "aria-label", fmt.Sprintf("Strength of box %d", num))
		on(strength, "change", func(js.Value) {
			v, err := strconv.ParseFloat(strength.Get("value").String(), 64)
			if err == nil {
				err = a.ed.SetStrength(id, v)
			}
			if err != nil {
				strength.Call("setAttribute", "aria-invalid", "true")
				message(a.el.layoutMessage, fmt.Sprintf("Box %d: %v", num, err), true)
				return
			}
			message(a.el.layoutMessage, "", false)
			a.layoutChanged(false)
		})
		tr.Call("append", cell(strength))

		tr.Call("append", el("td", a.ed.Describe(b)))
		actions := el("td", "")
		actions.Set("className", "actions")
		actions.Call("append",
			button("Select", fmt.Sprintf("Select box %d", num), func() {
				a.ed.Select(id)
				a.layoutChanged(true)
				a.el.canvas.Call("focus")
			}),
			button("Delete", fmt.Sprintf("Delete box %d", num), func() {
				a.ed.Remove(id)
				delete(a.maskCanvases, id)
				a.layoutChanged(true)
			}))
		tr.Call("append", actions)
		list.Call("append", tr)
	}
}

func cell(child js.Value) js.Value {
	td := el("td", "")
	td.Call("append", child)
	return td
}
