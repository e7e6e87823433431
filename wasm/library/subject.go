package library

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
)

// MaxResidualBytes bounds an imported residual file. A residual is one vector (4 kB for SD 2.x in
// float32); official .pt files add pickle overhead. Anything much bigger is not a residual.
const MaxResidualBytes = 4 << 20

// MaxWordBytes bounds a subject word (a prompt word, usually a short made-up token like "sks").
const MaxWordBytes = 64

// Subject is one residual in the library.
type Subject struct {
	// ID is VectorID of the residual: the same subject imported twice is one record, and a
	// rename (which rewrites the file's metadata) keeps it, so saved settings still find it.
	ID          string    `json:"id"`
	Word        string    `json:"word"`
	Model       string    `json:"model"`       // model family the residual was made for
	Fingerprint string    `json:"fingerprint"` // text encoder it was made with
	Width       int       `json:"width"`       // floats in the residual vector
	Size        int       `json:"size"`        // bytes of Data
	Source      string    `json:"source"`      // file name it was imported from
	Added       time.Time `json:"added"`
	Data        []byte    `json:"-"` // the residual file in our format (stored beside the record)
}

// VectorID identifies a residual by its values: hex sha256 of the float32 little-endian bytes.
func VectorID(v []float32) string {
	h := sha256.New()
	var b [4]byte
	for _, x := range v {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(x))
		h.Write(b[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// MarshalMeta encodes the record without its data (IndexedDB keeps the bytes beside it).
func (s *Subject) MarshalMeta() ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("subject %q: %w", s.Word, err)
	}
	return b, nil
}

// UnmarshalSubject decodes a stored record and attaches its data, checking that they belong
// together (the caller checks the file itself, which it can parse): a record whose bytes were
// cut short underneath it is reported, not used.
func UnmarshalSubject(meta, data []byte) (Subject, error) {
	var s Subject
	if err := json.Unmarshal(meta, &s); err != nil {
		return Subject{}, fmt.Errorf("stored subject: %w", err)
	}
	if err := CheckWord(s.Word); err != nil {
		return Subject{}, fmt.Errorf("stored subject %s: %w", short(s.ID), err)
	}
	if s.Size != len(data) {
		return Subject{}, fmt.Errorf("stored subject %q: its file does not match the record (%d bytes, want %d)", s.Word, len(data), s.Size)
	}
	s.Data = data
	return s, nil
}

var wordPattern = regexp.MustCompile(`^[\p{L}\p{N}_'-]+$`)

// CheckWord says whether w can name a subject: the word a person types in the prompt, so one
// word of letters, digits, _ ' or -, without spaces.
func CheckWord(w string) error {
	switch {
	case w == "":
		return fmt.Errorf("the word is empty")
	case len(w) > MaxWordBytes:
		return fmt.Errorf("the word is %d bytes long, at most %d", len(w), MaxWordBytes)
	case !wordPattern.MatchString(w):
		return fmt.Errorf("%q is not one word: use letters, digits, _ ' or - and no spaces", w)
	}
	return nil
}

// CheckRename says whether the subject id may take word: a valid word that no other subject of
// the library already uses (the prompt binds subjects by word, and CLIP lowercases the prompt,
// so case does not make two words different).
func CheckRename(list []Subject, id, word string) error {
	if err := CheckWord(word); err != nil {
		return err
	}
	for _, s := range list {
		if s.ID != id && strings.EqualFold(s.Word, word) {
			return fmt.Errorf("another subject is already called %q", s.Word)
		}
	}
	return nil
}

// FreeWord returns word, or word2, word3... the first one no subject of the list uses: the word
// a subject takes when it is kept beside another of its word (Clash.KeepAs).
func FreeWord(list []Subject, word string) string {
	taken := func(w string) bool {
		return slices.ContainsFunc(list, func(s Subject) bool { return strings.EqualFold(s.Word, w) })
	}
	if !taken(word) {
		return word
	}
	for i := 2; ; i++ {
		if w := fmt.Sprintf("%s%d", word, i); !taken(w) {
			return w
		}
	}
}

// ExportName is the file name a subject is downloaded as.
func (s *Subject) ExportName() string { return fileSafe(s.Word) + ".safetensors" }

// Sort orders subjects by word, then by ID, for a stable list.
func Sort(list []Subject) {
	slices.SortFunc(list, func(a, b Subject) int {
		if c := strings.Compare(strings.ToLower(a.Word), strings.ToLower(b.Word)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// Find returns the subject with this word (case-insensitive), if any.
func Find(list []Subject, word string) (Subject, bool) {
	i := slices.IndexFunc(list, func(s Subject) bool { return strings.EqualFold(s.Word, word) })
	if i < 0 {
		return Subject{}, false
	}
	return list[i], true
}

func fileSafe(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < 32 {
			return '_'
		}
		return r
	}, s)
	if s == "" || s == "." || s == ".." {
		return "subject"
	}
	return s
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// HumanBytes formats a byte count for people, in SI units like file managers: 4.1 kB, 2.3 GB.
func HumanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
