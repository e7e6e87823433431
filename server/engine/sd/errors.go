package sd

// ShapeError reports an input whose shape does not fit the model's config: which input, and
// what is wrong with it.
type ShapeError struct {
	What    string
	Problem string
}

func (e *ShapeError) Error() string { return e.What + ": " + e.Problem }
