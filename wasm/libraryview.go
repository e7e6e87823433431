//go:build js && wasm

package main

import (
	"fmt"
	"strings"
	"syscall/js"

	"github.com/cones2web/cones2/wasm/library"
)

func (a *app) wireLibrary() {
	on(a.el.residualImport, "change", func(js.Value) {
		files := fileList(a.el.residualImport)
		a.el.residualImport.Set("value", "")
		go a.importResidualFiles(files)
	})
	zone := a.el.dropZone
	on(zone, "dragover", func(ev js.Value) {
		ev.Call("preventDefault") // allows the drop
		zone.Get("classList").Call("add", "over")
	})
	on(zone, "dragleave", func(js.Value) { zone.Get("classList").Call("remove", "over") })
	on(zone, "drop", func(ev js.Value) {
		ev.Call("preventDefault")
		zone.Get("classList").Call("remove", "over")
		fl := ev.Get("dataTransfer").Get("files")
		files := make([]js.Value, fl.Get("length").Int())
		for i := range files {
			files[i] = fl.Call("item", i)
		}
		go a.importResidualFiles(files)
	})
}

// openStore opens IndexedDB and reads the library and the gallery into the page.
func (a *app) openStore() {
	s, err := openStore(a.ctx)
	if err != nil {
		message(a.el.libraryMessage, "Subjects and images cannot be saved in this browser: "+err.Error()+". They will last until the page closes.", true)
		return
	}
	a.store = s
	subjects, bad, err := s.subjects(a.ctx)
	if err != nil {
		message(a.el.libraryMessage, "The library could not be read: "+err.Error(), true)
	}
	for _, sub := range subjects {
		if err := checkStoredResidual(sub); err != nil {
			bad = append(bad, err)
			continue
		}
		a.subjects = append(a.subjects, sub)
	}
	library.Sort(a.subjects)
	if len(bad) > 0 {
		message(a.el.libraryMessage, fmt.Sprintf("%d saved subjects could not be read: %v", len(bad), bad[0]), true)
	}
	a.renderSubjects()
	items, bad, err := s.galleryItems(a.ctx)
	if err != nil || len(bad) > 0 {
		message(a.el.galleryMessage, fmt.Sprintf("Some saved images could not be read: %v", firstErr(err, bad)), true)
	}
	a.items = items
	a.renderGallery()
}

func firstErr(err error, more []error) error {
	if err != nil || len(more) == 0 {
		return err
	}
	return more[0]
}

// importResidualFiles imports each file on its own: one broken file is reported by name and the
// others still come in.
func (a *app) importResidualFiles(files []js.Value) {
	defer a.guard("importing subjects")
	var done, failed []string
	for _, f := range files {
		name := f.Get("name").String()
		data, err := readFile(a.ctx, f, library.MaxResidualBytes)
		var sub library.Subject
		if err == nil {
			sub, err = a.importResidual(name, data)
		}
		if err == nil {
			err = a.addSubject(&sub)
		}
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		done = append(done, fmt.Sprintf("%s (from %s)", sub.Word, name))
	}
	var msg []string
	if len(done) > 0 {
		msg = append(msg, "Imported "+strings.Join(done, ", ")+".")
	}
	msg = append(msg, failed...)
	message(a.el.libraryMessage, strings.Join(msg, "\n"), len(failed) > 0)
	a.renderSubjects()
	a.analyzePrompt()
	a.renderBoxes()
}

// addSubject saves a new subject; a word already taken gets a number appended (dog2), and the
// same residual imported again is reported instead of duplicated.
func (a *app) addSubject(sub *library.Subject) error {
	for _, s := range a.subjects {
		if s.ID == sub.ID {
			return fmt.Errorf("already in the library as %q", s.Word)
		}
	}
	if w := library.FreeWord(a.subjects, sub.Word); w != sub.Word {
		renamed, err := renameResidual(*sub, w)
		if err != nil {
			return err
		}
		*sub = renamed
	}
	if a.store != nil {
		if err := a.store.putSubject(a.ctx, *sub); err != nil {
			return err
		}
	}
	a.subjects = append(a.subjects, *sub)
	library.Sort(a.subjects)
	return nil
}

func (a *app) renderSubjects() {
	list := a.el.subjectList
	empty(list)
	setHidden(a.el.libraryEmpty, len(a.subjects) > 0)
	for _, s := range a.subjects {
		list.Call("append", a.subjectRow(s))
	}
}

func (a *app) subjectRow(s library.Subject) js.Value {
	tr := el("tr", "")
	tr.Get("dataset").Set("id", s.ID)
	word := el("td", "")
	sw := el("span", "")
	sw.Set("className", "swatch")
	sw.Get("style").Call("setProperty", "background", a.colourOf(s.Word))
	word.Call("append", sw, s.Word)
	word.Set("className", "word")
	tr.Call("append", word)
	tr.Call("append", el("td", fmt.Sprintf("%s (%d)", s.Model, s.Width)))
	tr.Call("append", el("td", library.HumanBytes(int64(s.Size))))
	actions := el("td", "")
	actions.Set("className", "actions")
	actions.Call("append",
		button("Rename", "Rename "+s.Word, func() { a.startRename(tr, word, s) }),
		button("Export", "Export "+s.Word, func() {
			download(s.ExportName(), "application/octet-stream", s.Data)
			message(a.el.libraryMessage, "Exported "+s.ExportName()+".", false)
		}),
		button("Delete", "Delete "+s.Word, func() { go a.deleteSubject(s) }))
	tr.Call("append", actions)
	return tr
}

// startRename turns the word cell into a field; Enter or Save renames, Escape or Cancel keeps.
func (a *app) startRename(tr, cell js.Value, s library.Subject) {
	empty(cell)
	input := el("input", "")
	input.Set("value", s.Word)
	input.Call("setAttribute", "aria-label", "New word for "+s.Word)
	save := func() { go a.renameSubject(s, input.Get("value").String(), input) }
	cancel := func() { a.renderSubjects() }
	on(input, "keydown", func(ev js.Value) {
		switch ev.Get("key").String() {
		case "Enter":
			ev.Call("preventDefault")
			save()
		case "Escape":
			cancel()
		}
	})
	cell.Call("append", input, button("Save", "Save the new word", save), button("Cancel", "Keep "+s.Word, cancel))
	input.Call("focus")
	input.Call("select")
}

func (a *app) renameSubject(s library.Subject, word string, input js.Value) {
	defer a.guard("renaming a subject")
	word = strings.TrimSpace(word)
	if word == s.Word {
		a.renderSubjects()
		return
	}
	err := library.CheckRename(a.subjects, s.ID, word)
	var renamed library.Subject
	if err == nil {
		renamed, err = renameResidual(s, word)
	}
	if err == nil && a.store != nil {
		err = a.store.putSubject(a.ctx, renamed)
	}
	if err != nil {
		input.Call("setAttribute", "aria-invalid", "true")
		message(a.el.libraryMessage, fmt.Sprintf("%q was not renamed: %v", s.Word, err), true)
		input.Call("focus")
		return
	}
	for i := range a.subjects {
		if a.subjects[i].ID == s.ID {
			a.subjects[i] = renamed
		}
	}
	library.Sort(a.subjects)
	a.ed.RenameWord(s.Word, word)
	msg := fmt.Sprintf("Renamed %s to %s.", s.Word, word)
	if !a.promptHasWord(word) {
		msg += fmt.Sprintf(" Write %q in the prompt to use it.", word)
	}
	message(a.el.libraryMessage, msg, false)
	a.renderSubjects()
	a.layoutChanged(false)
}

func (a *app) promptHasWord(word string) bool {
	if a.tok == nil {
		return false
	}
	_, err := a.tok.Positions(a.promptText(), word)
	return err == nil
}

// deleteSubject removes a subject and offers to undo it: nothing a person made is lost by one
// click.
func (a *app) deleteSubject(s library.Subject) {
	defer a.guard("deleting a subject")
	if a.store != nil {
		if err := a.store.delete(a.ctx, subjectsStore, s.ID); err != nil {
			message(a.el.libraryMessage, fmt.Sprintf("%s was not deleted: %v", s.Word, err), true)
			return
		}
	}
	for i := range a.subjects {
		if a.subjects[i].ID == s.ID {
			a.subjects = append(a.subjects[:i], a.subjects[i+1:]...)
			break
		}
	}
	a.renderSubjects()
	a.analyzePrompt()
	a.renderBoxes()
	msg := a.el.libraryMessage
	message(msg, fmt.Sprintf("Deleted %s. ", s.Word), false)
	undo := button("Undo", "Undo deleting "+s.Word, func() {
		go func() {
			defer a.guard("restoring a subject")
			if err := a.addSubject(&s); err != nil {
				message(msg, fmt.Sprintf("%s could not be restored: %v", s.Word, err), true)
				return
			}
			message(msg, fmt.Sprintf("Restored %s.", s.Word), false)
			a.renderSubjects()
			a.analyzePrompt()
			a.renderBoxes()
		}()
	})
	msg.Call("append", undo)
}
