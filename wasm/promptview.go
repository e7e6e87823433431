//go:build js && wasm

package main

import (
	"fmt"
	"slices"
	"strings"
	"syscall/js"

	"github.com/cones2web/cones2/wasm/editor"
	"github.com/cones2web/cones2/wasm/library"
	"github.com/cones2web/cones2/wasm/prompt"
)

func (a *app) wirePrompt() {
	on(a.el.prompt, "input", func(js.Value) {
		a.formEdited = true
		a.analyzePrompt()
		a.saveDraft()
	})
	on(a.el.prompt, "scroll", func(js.Value) {
		a.el.promptMarks.Set("scrollTop", a.el.prompt.Get("scrollTop"))
	})
}

func (a *app) promptText() string { return a.el.prompt.Get("value").String() }

// subjectWords are the words of the library's subjects, in library order.
func (a *app) subjectWords() []string {
	out := make([]string, len(a.subjects))
	for i, s := range a.subjects {
		out[i] = s.Word
	}
	return out
}

// colourOf gives a word the colour it has everywhere on the page (prompt marks, boxes, lists):
// library subjects first, then the other words with boxes, in a fixed order.
func (a *app) colourOf(word string) string {
	order := a.subjectWords()
	for _, w := range a.ed.Words() {
		if !slices.ContainsFunc(order, func(o string) bool { return strings.EqualFold(o, w) }) {
			order = append(order, w)
		}
	}
	i := slices.IndexFunc(order, func(o string) bool { return strings.EqualFold(o, word) })
	return editor.Colour(max(i, 0))
}

// analyzePrompt re-reads the prompt: token count, marks for subject words, problems. It runs on
// every keystroke, so it only touches the few elements that show the result.
func (a *app) analyzePrompt() {
	a.refreshWordChoices()
	if a.tok == nil {
		return
	}
	text := a.promptText()
	a.analysis = prompt.Analyze(a.tok, text, a.subjectWords(), a.ed.Words())
	an := &a.analysis
	a.renderMarks(text, an.Marks)
	setText(a.el.promptTokens, fmt.Sprintf("%d / %d tokens.", an.Tokens, an.Limit))
	a.renderBoundWords()
	var lines []string
	for _, p := range an.Problems {
		lines = append(lines, p.Error())
	}
	message(a.el.promptMessage, strings.Join(lines, "\n"), len(lines) > 0)
	a.el.prompt.Call("setAttribute", "aria-invalid", fmt.Sprint(len(lines) > 0))
}

// renderMarks rebuilds the mirror behind the textarea: the same text, with marked stretches.
func (a *app) renderMarks(text string, marks []prompt.Mark) {
	m := a.el.promptMarks
	empty(m)
	for _, seg := range prompt.Segments(text, marks) {
		if !seg.Marked {
			m.Call("append", seg.Text)
			continue
		}
		mk := el("mark", seg.Text)
		if seg.Mark.Kind == prompt.Over {
			mk.Set("className", "over")
		} else {
			mk.Get("dataset").Set("word", seg.Mark.Word)
			mk.Get("style").Call("setProperty", "--mark", a.colourOf(seg.Mark.Word))
		}
		m.Call("append", mk)
	}
	// A trailing newline needs a character after it to take up its line, as in the textarea.
	m.Call("append", "\u200b")
	m.Set("scrollTop", a.el.prompt.Get("scrollTop"))
}

// renderBoundWords lists, in words, what the marks show in colour (colour alone must not carry
// the meaning).
func (a *app) renderBoundWords() {
	w := a.el.promptWords
	empty(w)
	var subj, placed []string
	for _, b := range a.analysis.Bindings {
		if b.Residual {
			subj = append(subj, b.Word)
		} else {
			placed = append(placed, b.Word)
		}
	}
	add := func(label string, words []string) {
		if len(words) == 0 {
			return
		}
		w.Call("append", label)
		for _, word := range words {
			chip := el("span", word)
			chip.Set("className", "chip")
			chip.Get("style").Call("setProperty", "--mark", a.colourOf(word))
			w.Call("append", chip)
		}
	}
	add("Subjects: ", subj)
	add(" Placed: ", placed)
	if len(subj) == 0 && len(placed) == 0 && len(a.subjects) > 0 {
		w.Call("append", "No subject of your library is in the prompt yet.")
	}
}

// subjectFor returns the library subject bound to a word.
func (a *app) subjectFor(word string) (library.Subject, bool) { return library.Find(a.subjects, word) }
