//go:build js && wasm

package main

import (
	"fmt"
	"strconv"
	"strings"
	"syscall/js"

	"github.com/cones2web/cones2/cones/layout"
)

func (a *app) wireLayoutFiles() {
	on(a.el.layoutExport, "click", func(js.Value) { a.exportLayout() })
	on(a.el.layoutImport, "change", func(js.Value) {
		files := fileList(a.el.layoutImport)
		a.el.layoutImport.Set("value", "")
		go a.importLayout(files)
	})
	on(a.el.officialImport, "change", func(js.Value) {
		files := fileList(a.el.officialImport)
		a.el.officialImport.Set("value", "")
		go a.importOfficial(files)
	})
}

// fileList copies a file input's FileList (it is live: clearing the input empties it).
func fileList(input js.Value) []js.Value {
	fl := input.Get("files")
	out := make([]js.Value, fl.Get("length").Int())
	for i := range out {
		out[i] = fl.Call("item", i)
	}
	return out
}

// currentLayout is the editor's layout, or an error naming what is missing.
func (a *app) currentLayout() (*layout.Layout, error) {
	return a.ed.Layout(layout.DefaultNegative)
}

func (a *app) exportLayout() {
	l, err := a.currentLayout()
	if err != nil {
		message(a.el.layoutMessage, "Nothing exported: "+err.Error(), true)
		return
	}
	for _, sub := range l.Subjects {
		if sub.Mask != nil {
			message(a.el.layoutMessage, fmt.Sprintf("Nothing exported: %q is a region imported from a colour layout, and layout JSON holds boxes only; share the colour PNG and its JSON instead, or replace the region with boxes.", sub.Word), true)
			return
		}
	}
	b, err := layout.Encode(l)
	if err != nil {
		message(a.el.layoutMessage, "Nothing exported: "+err.Error(), true)
		return
	}
	download("layout.json", "application/json", b)
	message(a.el.layoutMessage, fmt.Sprintf("Exported layout.json (%d subjects).", len(l.Subjects)), false)
}

func (a *app) importLayout(files []js.Value) {
	defer a.guard("importing a layout")
	if len(files) == 0 {
		return
	}
	f := files[0]
	b, err := readFile(a.ctx, f, layout.MaxConfigBytes)
	if err == nil {
		var l *layout.Layout
		if l, err = layout.Parse(b); err == nil {
			err = a.ed.SetLayout(l)
		}
	}
	if err != nil {
		// The editor keeps the layout it had: a bad file changes nothing.
		message(a.el.layoutMessage, fmt.Sprintf("%s was not imported: %v", f.Get("name").String(), err), true)
		return
	}
	a.maskCanvases = map[int]js.Value{}
	a.layoutChanged(false)
	message(a.el.layoutMessage, fmt.Sprintf("Imported %s: %d boxes.", f.Get("name").String(), a.ed.Len()), false)
}

// importOfficial reads the official format: a colour layout PNG and the JSON configuration that
// maps its colours to words (ali-vilab/Cones-V2's guidance_config_example.json). The prompt and
// guidance settings of the configuration come along; its residual paths name files to import.
func (a *app) importOfficial(files []js.Value) {
	defer a.guard("importing an official layout")
	var pngFile, jsonFile js.Value
	for _, f := range files {
		name := strings.ToLower(f.Get("name").String())
		switch {
		case strings.HasSuffix(name, ".png"):
			pngFile = f
		case strings.HasSuffix(name, ".json"):
			jsonFile = f
		}
	}
	if pngFile.IsUndefined() || jsonFile.IsUndefined() {
		message(a.el.layoutMessage, "Choose both files of an official layout at once: the colour layout (.png) and its configuration (.json).", true)
		return
	}
	png, err := readFile(a.ctx, pngFile, layout.MaxPNGBytes)
	if err != nil {
		message(a.el.layoutMessage, err.Error(), true)
		return
	}
	conf, err := readFile(a.ctx, jsonFile, layout.MaxConfigBytes)
	if err != nil {
		message(a.el.layoutMessage, err.Error(), true)
		return
	}
	l, s, err := layout.ImportOfficial(conf, png)
	if err != nil {
		message(a.el.layoutMessage, fmt.Sprintf("The official layout was not imported: %v", err), true)
		return
	}
	if err := a.ed.SetLayout(l); err != nil {
		message(a.el.layoutMessage, err.Error(), true)
		return
	}
	a.maskCanvases = map[int]js.Value{}
	a.applyOfficialSampling(s)
	a.layoutChanged(false)
	msg := fmt.Sprintf("Imported %s with %s: %d subject regions.", pngFile.Get("name").String(), jsonFile.Get("name").String(), a.ed.Len())
	w, h := a.ed.Size()
	msg += aspectNote(l, w, h)
	var missing []string
	for word := range s.Residuals {
		if _, ok := a.subjectFor(word); !ok {
			missing = append(missing, word)
		}
	}
	if len(missing) > 0 {
		msg += " Import the residuals of " + strings.Join(missing, ", ") + " under Subjects."
	}
	message(a.el.layoutMessage, msg, false)
}

// aspectNote says when a layout image has another shape than the output: its regions are
// stretched to fit, which a person should know rather than discover.
func aspectNote(l *layout.Layout, w, h int) string {
	for _, s := range l.Subjects {
		if s.Mask != nil && s.Mask.W*h != s.Mask.H*w {
			return fmt.Sprintf(" The layout image is %d×%d and the output %d×%d, so the regions are stretched to fit.", s.Mask.W, s.Mask.H, w, h)
		}
	}
	return ""
}

// applyOfficialSampling copies the configuration's prompt and guidance settings into the form.
func (a *app) applyOfficialSampling(s *layout.Sampling) {
	if s.Prompt != "" {
		a.el.prompt.Set("value", s.Prompt)
	}
	if s.GuidanceSteps > 0 {
		a.el.guidedSteps.Set("value", strconv.Itoa(s.GuidanceSteps))
	}
	if s.GuidanceWeight > 0 {
		a.el.guidanceWeight.Set("value", strconv.FormatFloat(s.GuidanceWeight, 'g', -1, 64))
	}
}
