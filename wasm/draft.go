//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/cones2web/cones2/cones/settings"
)

const draftKey = "cones2-draft"

// localStorage returns window.localStorage, or undefined where the browser refuses it (storage
// disabled): reading the property itself throws then.
func localStorage() js.Value {
	v, err := call(js.Global().Get("Reflect"), "get", js.Global(), "localStorage")
	if err != nil || !v.Truthy() {
		return js.Undefined()
	}
	return v
}

// saveDraft keeps the form as typed and the layout (imported mask regions included), so a
// reload loses nothing.
func (a *app) saveDraft() {
	if !a.draftReady {
		return // not before the stored draft was restored: it would be overwritten
	}
	st := localStorage()
	if st.IsUndefined() {
		return
	}
	d := settings.Draft{Form: settings.Form{}}
	for name, v := range a.formFields() {
		d.Form[name] = v.Get("value").String()
	}
	if l, err := a.currentLayout(); err == nil {
		if b, regions, err := settings.SplitLayout(l); err == nil {
			d.Layout, d.Regions = b, regions
		}
	}
	if b, err := settings.MarshalDraft(d); err == nil {
		call(st, "setItem", draftKey, string(b))
	}
}

// restoreDraft puts the stored draft back; the model's native size then no longer applies.
func (a *app) restoreDraft() {
	defer func() { a.draftReady = true }()
	st := localStorage()
	if st.IsUndefined() {
		return
	}
	v, err := call(st, "getItem", draftKey)
	if err != nil || v.Type() != js.TypeString {
		return
	}
	d, err := settings.UnmarshalDraft([]byte(v.String()))
	if err != nil {
		return
	}
	a.draftRestored = true
	for name, val := range d.Form {
		if el, ok := a.formFields()[name]; ok {
			el.Set("value", val)
		}
	}
	if _, ok := d.Form["width"]; ok {
		a.sizeChosen = true
	}
	a.sizeChanged()
	if len(d.Layout) > 0 || len(d.Regions) > 0 {
		if l, err := settings.JoinLayout(d.Layout, d.Regions); err == nil && a.ed.SetLayout(l) == nil {
			a.maskCanvases = map[int]js.Value{}
		}
	}
	a.layoutChanged(false)
}
