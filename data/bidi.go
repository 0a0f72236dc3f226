package data

import "strings"

// IsBidiControl reports whether r is an invisible character that changes the
// direction text is shown in: the embeddings and overrides (U+202A–U+202E),
// the isolates (U+2066–U+2069) and the marks (U+200E, U+200F, U+061C). With
// them a phone can show "+13" for what the bot reads as +31, or a name on a
// list that reads differently from what is stored, so they are refused
// wherever a person types something that is kept, never stripped.
func IsBidiControl(r rune) bool {
	switch {
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069',
		r == '\u200e', r == '\u200f', r == '\u061c':
		return true
	}
	return false
}

// HasBidiControl reports whether s holds a character IsBidiControl refuses.
func HasBidiControl(s string) bool { return strings.ContainsFunc(s, IsBidiControl) }
