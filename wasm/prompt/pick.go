package prompt

import "slices"

// Pick is the word "New boxes are for" shows among choices: the person's own pick (chosen)
// whenever it is offered, else the one shown now (shown) if still offered, else the first
// choice; "" when there is nothing to offer. The list is rebuilt on every keystroke, so a pick
// that leaves the prompt for a moment (a word deleted and typed again) comes back with it
// instead of being forgotten; one the prompt no longer has is never shown, since a box drawn
// for it would guide nothing.
func Pick(choices []string, chosen, shown string) string {
	switch {
	case chosen != "" && slices.Contains(choices, chosen):
		return chosen
	case shown != "" && slices.Contains(choices, shown):
		return shown
	case len(choices) > 0:
		return choices[0]
	}
	return ""
}
