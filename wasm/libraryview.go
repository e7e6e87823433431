//go:build js && wasm

package main

import (
	"fmt"
	"slices"
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
	a.wireClashDialog()
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
// others still come in. A file whose word the library already has asks the person (askClash).
func (a *app) importResidualFiles(files []js.Value) {
	defer a.guard("importing subjects")
	a.importing.Lock()
	defer a.importing.Unlock()
	var done, lines, failed []string
	var replaced []replacement
	for _, f := range files {
		name := f.Get("name").String()
		r, err := a.importFile(f)
		switch {
		case err != nil:
			failed = append(failed, fmt.Sprintf("%s: %v", name, err))
		case r.clash == nil:
			done = append(done, fmt.Sprintf("%s (from %s)", r.added.Word, name))
		default:
			lines = append(lines, r.clash.Outcome(r.choice))
			if r.choice == library.Replace {
				replaced = append(replaced, replacement{old: r.clash.Old, added: r.added})
			}
		}
	}
	var msg []string
	if len(done) > 0 {
		msg = append(msg, "Imported "+strings.Join(done, ", ")+".")
	}
	msg = append(slices.Concat(msg, lines), failed...)
	message(a.el.libraryMessage, strings.Join(msg, "\n"), len(failed) > 0)
	if len(replaced) > 0 {
		a.el.libraryMessage.Call("append", " ", a.undoReplaceButton(replaced))
	}
	a.subjectsChanged()
}

// imported is what happened to one file: the subject stored (if any) and, when its word was
// taken, the clash and the person's choice.
type imported struct {
	added  library.Subject
	clash  *library.Clash
	choice library.Choice
}

// importFile reads one residual file and stores it: under its word when that is free, else as
// the person chooses (replace the old subject, keep both under the free word the question
// names, or skip). The same residual again is refused, naming the word it has.
func (a *app) importFile(f js.Value) (imported, error) {
	name := f.Get("name").String()
	data, err := readFile(a.ctx, f, library.MaxResidualBytes)
	if err != nil {
		return imported{}, err
	}
	sub, err := a.importResidual(name, data)
	if err != nil {
		return imported{}, err
	}
	clash, err := library.CheckImport(a.subjects, sub)
	if err != nil {
		return imported{}, err
	}
	if clash == nil {
		return imported{added: sub}, a.addSubject(sub)
	}
	r := imported{clash: clash, choice: a.askClash(clash)}
	switch r.choice {
	case library.Replace:
		r.added = sub
		err = a.replaceSubject(clash.Old, sub)
	case library.KeepBoth:
		if r.added, err = renameResidual(sub, clash.KeepAs); err == nil {
			err = a.addSubject(r.added)
		}
	}
	return r, err
}

// askClash asks what to do about a taken word in the page's own dialog (the browser's confirm
// has two answers, and this question has three) and waits for the answer; Escape skips.
func (a *app) askClash(c *library.Clash) library.Choice {
	select {
	case <-a.clashChoice: // an answer nobody waited for
	default:
	}
	setText(a.el.importClashText, c.Question())
	setText(a.el.importKeep, fmt.Sprintf("Keep both (new one: %s)", c.KeepAs))
	setText(a.el.importReplace, fmt.Sprintf("Replace %s", c.Old.Word))
	// Escape closes the dialog without a value and leaves the last one: start from none.
	a.el.importClash.Set("returnValue", "")
	if _, err := call(a.el.importClash, "showModal"); err != nil {
		message(a.el.libraryMessage, "The question about "+c.New.Source+" could not be shown: "+err.Error(), true)
		return library.Skip
	}
	select {
	case choice := <-a.clashChoice:
		return choice
	case <-a.ctx.Done():
		return library.Skip
	}
}

// wireClashDialog passes the clash dialog's answer to the import waiting for it. The dialog's
// buttons close it with their value (a form of method dialog); however it closes, by a button
// or Escape, its close event carries the answer, and no value means Skip.
func (a *app) wireClashDialog() {
	on(a.el.importClash, "close", func(js.Value) {
		choice := library.Skip
		switch a.el.importClash.Get("returnValue").String() {
		case "replace":
			choice = library.Replace
		case "keep":
			choice = library.KeepBoth
		}
		select {
		case a.clashChoice <- choice:
		default: // nobody asked (cannot happen while imports take turns): drop it
		}
	})
}

// replacement is a subject an import replaced, kept for Undo.
type replacement struct{ old, added library.Subject }

// undoReplaceButton puts the replaced subjects back: a replace is a delete, and nothing a person
// made is lost by one click.
func (a *app) undoReplaceButton(rs []replacement) js.Value {
	words := make([]string, len(rs))
	for i, r := range rs {
		words[i] = r.old.Word
	}
	label := "Undo replacing " + strings.Join(words, ", ")
	return button("Undo", label, func() {
		go func() {
			defer a.guard("undoing a replace")
			for _, r := range slices.Backward(rs) {
				if err := a.replaceSubject(r.added, r.old); err != nil {
					message(a.el.libraryMessage, fmt.Sprintf("%s could not be restored: %v", r.old.Word, err), true)
					a.subjectsChanged()
					return
				}
			}
			message(a.el.libraryMessage, "Restored "+strings.Join(words, ", ")+".", false)
			a.subjectsChanged()
		}()
	})
}

// replaceSubject stores sub in place of old (same word): old is deleted first, so the library
// never holds two subjects of one word; if sub cannot be stored, old is put back.
func (a *app) replaceSubject(old, sub library.Subject) error {
	if err := a.removeSubject(old); err != nil {
		return fmt.Errorf("%s was not replaced: %w", old.Word, err)
	}
	if err := a.addSubject(sub); err != nil {
		if back := a.addSubject(old); back != nil {
			return fmt.Errorf("%w (and %s could not be put back: %v)", err, old.Word, back)
		}
		return err
	}
	return nil
}

// addSubject saves a subject whose word the caller made sure is free.
func (a *app) addSubject(sub library.Subject) error {
	if a.store != nil {
		if err := a.store.putSubject(a.ctx, sub); err != nil {
			return err
		}
	}
	a.subjects = append(a.subjects, sub)
	library.Sort(a.subjects)
	return nil
}

// addFree saves a subject nobody is asked about (one restored by Undo, one trained on the
// server): under its word, or under the first free word2, word3... when another subject has
// the word. It returns the subject as stored; the same residual again is a *DuplicateError.
func (a *app) addFree(sub library.Subject) (library.Subject, error) {
	clash, err := library.CheckImport(a.subjects, sub)
	if err != nil {
		return sub, err
	}
	if clash != nil {
		if sub, err = renameResidual(sub, clash.KeepAs); err != nil {
			return sub, err
		}
	}
	return sub, a.addSubject(sub)
}

// removeSubject deletes a subject from the store and the page's list.
func (a *app) removeSubject(s library.Subject) error {
	if a.store != nil {
		if err := a.store.delete(a.ctx, subjectsStore, s.ID); err != nil {
			return err
		}
	}
	a.subjects = slices.DeleteFunc(a.subjects, func(x library.Subject) bool { return x.ID == s.ID })
	return nil
}

// subjectsChanged redraws what depends on the library: its table, the prompt's marks, the boxes.
func (a *app) subjectsChanged() {
	a.renderSubjects()
	a.analyzePrompt()
	a.renderBoxes()
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
	if err := a.removeSubject(s); err != nil {
		message(a.el.libraryMessage, fmt.Sprintf("%s was not deleted: %v", s.Word, err), true)
		return
	}
	a.subjectsChanged()
	msg := a.el.libraryMessage
	message(msg, fmt.Sprintf("Deleted %s. ", s.Word), false)
	undo := button("Undo", "Undo deleting "+s.Word, func() {
		go func() {
			defer a.guard("restoring a subject")
			back, err := a.addFree(s)
			switch {
			case err != nil:
				message(msg, fmt.Sprintf("%s could not be restored: %v", s.Word, err), true)
				return
			case back.Word != s.Word:
				message(msg, fmt.Sprintf("Restored %s as %s: another subject now has the word %s.", s.Word, back.Word, s.Word), false)
			default:
				message(msg, fmt.Sprintf("Restored %s.", s.Word), false)
			}
			a.subjectsChanged()
		}()
	})
	msg.Call("append", undo)
}
