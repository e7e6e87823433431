// Package prompt is what the page knows about the prompt while the person types: the first
// stage of the pipeline (prompt -> tokens) seen from the editor. It counts tokens against the
// text encoder's limit, finds the token positions of subject words (where residuals are added and
// layout guidance acts), and maps them back to the typed characters so the page can mark them.
// Every problem comes back as a sentence for the page, and none stops the others from being found.
package prompt
