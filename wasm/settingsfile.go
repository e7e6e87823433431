//go:build js && wasm

package main

import (
	"fmt"
	"syscall/js"

	"github.com/cones2web/cones2/cones/schedule"
	"github.com/cones2web/cones2/cones/settings"
	"github.com/cones2web/cones2/wasm/reuse"
)

// wireSettingsFile lets a person bring back the settings of an image the product made: dropped
// anywhere on the generate panel, or chosen with its file button.
func (a *app) wireSettingsFile() {
	on(a.el.settingsImport, "change", func(js.Value) {
		files := fileList(a.el.settingsImport)
		a.el.settingsImport.Set("value", "")
		go a.settingsFromFiles(files)
	})
	panel := a.el.generatePanel
	on(panel, "dragover", func(ev js.Value) {
		ev.Call("preventDefault") // allows the drop instead of the browser opening the file
		panel.Get("classList").Call("add", "over")
	})
	on(panel, "dragleave", func(js.Value) { panel.Get("classList").Call("remove", "over") })
	on(panel, "drop", func(ev js.Value) {
		ev.Call("preventDefault")
		panel.Get("classList").Call("remove", "over")
		fl := ev.Get("dataTransfer").Get("files")
		files := make([]js.Value, fl.Get("length").Int())
		for i := range files {
			files[i] = fl.Call("item", i)
		}
		go a.settingsFromFiles(files)
	})
}

// settingsFromFiles restores the settings of the one image given. The file is read and checked
// whole first (reuse.FromPNG), so a file that cannot be used changes nothing.
func (a *app) settingsFromFiles(files []js.Value) {
	defer a.guard("reading settings from an image")
	switch len(files) {
	case 0:
		return
	case 1:
	default:
		message(a.el.settingsMessage, fmt.Sprintf("Nothing restored: %d files given; drop one image to use its settings.", len(files)), true)
		return
	}
	name := files[0].Get("name").String()
	data, err := readFile(a.ctx, files[0], settings.MaxPNGBytes)
	var plan reuse.Plan
	if err == nil {
		plan, err = reuse.FromPNG(data, a.reusePage(), a.subjects)
	}
	if err != nil {
		message(a.el.settingsMessage, fmt.Sprintf("Nothing restored from %s: %v.", name, err), true)
		return
	}
	a.restore(plan, name)
}

// reusePage is what a file's settings must fit: the samplers the form offers, the model's size.
func (a *app) reusePage() reuse.Page {
	samplers := schedule.Names()
	if a.engine != nil {
		samplers = a.engine.Samplers()
	}
	return reuse.Page{Samplers: samplers, SizeStep: a.model.sizeStep()}
}
