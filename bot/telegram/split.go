package telegram

import (
	"strings"
	"unicode/utf16"
)

// The one splitter: a text longer than a Telegram message goes out in
// several, cut where Telegram measures (UTF-16 code units).

// split cuts text into parts of at most limit UTF-16 code units (Telegram's
// measure), at line breaks where it can, inside a line only when the line
// alone is too long.
func split(text string, limit int) []string {
	if utf16Len(text) <= limit {
		return []string{text}
	}
	var parts []string
	var cur strings.Builder
	n := 0
	flush := func() {
		if cur.Len() > 0 {
			parts = append(parts, strings.TrimRight(cur.String(), "\n"))
			cur.Reset()
			n = 0
		}
	}
	for _, line := range strings.SplitAfter(text, "\n") {
		l := utf16Len(line)
		if n+l > limit {
			flush()
		}
		for l > limit { // one line longer than a message: cut by runes
			cut, w := 0, 0
			for i, ru := range line {
				rw := utf16.RuneLen(ru)
				if rw < 0 {
					rw = 1
				}
				if w+rw > limit {
					break
				}
				w += rw
				cut = i + len(string(ru))
			}
			parts = append(parts, line[:cut])
			line, l = line[cut:], l-w
		}
		cur.WriteString(line)
		n += l
	}
	flush()
	return parts
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}
