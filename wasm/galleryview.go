//go:build js && wasm

package main

import (
	"fmt"
	"slices"
	"syscall/js"

	"github.com/cones2web/cones2/wasm/library"
)

// renderGallery lists the images newest first. Each image's object URL is made once and kept
// until the item is deleted, so re-rendering does not reload pictures.
func (a *app) renderGallery() {
	list := a.el.galleryList
	empty(list)
	setHidden(a.el.galleryEmpty, len(a.items) > 0)
	items := slices.Clone(a.items)
	slices.SortFunc(items, func(x, y library.Item) int { return int(y.ID - x.ID) })
	for _, it := range items {
		list.Call("append", a.galleryEntry(it))
	}
}

func (a *app) imageURL(it library.Item) string {
	if u, ok := a.itemURLs[it.ID]; ok {
		return u
	}
	u := js.Global().Get("URL").Call("createObjectURL", blob(it.PNG, "image/png")).String()
	a.itemURLs[it.ID] = u
	return u
}

func (a *app) galleryEntry(it library.Item) js.Value {
	li := el("li", "")
	li.Get("dataset").Set("id", fmt.Sprint(it.ID))
	url := a.imageURL(it)
	img := el("img", "")
	img.Set("src", url)
	img.Set("alt", "Generated: "+it.Settings.Prompt)
	img.Set("width", it.Settings.Width)
	img.Set("height", it.Settings.Height)
	li.Call("append", img)
	meta := el("p", it.Caption())
	meta.Set("className", "meta")
	li.Call("append", meta)
	bar := el("div", "")
	bar.Set("className", "buttons")
	dl := el("a", "Download PNG")
	dl.Set("className", "button")
	dl.Set("href", url)
	dl.Set("download", it.FileName())
	bar.Call("append", dl,
		button("Use these settings again", "", func() { a.reuseItem(it) }),
		button("Delete", "Delete this image", func() { go a.deleteItem(it) }))
	li.Call("append", bar)
	return li
}

func (a *app) deleteItem(it library.Item) {
	defer a.guard("deleting an image")
	if a.store != nil {
		if err := a.store.delete(a.ctx, galleryStore, float64(it.ID)); err != nil {
			message(a.el.galleryMessage, "The image was not deleted: "+err.Error(), true)
			return
		}
	}
	a.items = slices.DeleteFunc(a.items, func(x library.Item) bool { return x.ID == it.ID })
	if u, ok := a.itemURLs[it.ID]; ok {
		js.Global().Get("URL").Call("revokeObjectURL", u)
		delete(a.itemURLs, it.ID)
	}
	a.renderGallery()
	msg := a.el.galleryMessage
	message(msg, "Image deleted. ", false)
	msg.Call("append", button("Undo", "Undo deleting the image", func() {
		go func() {
			defer a.guard("restoring an image")
			if a.store != nil {
				if err := a.store.putItem(a.ctx, it); err != nil {
					message(msg, "The image could not be restored: "+err.Error(), true)
					return
				}
			}
			a.items = append(a.items, it)
			a.renderGallery()
			message(msg, "Image restored.", false)
		}()
	}))
}
