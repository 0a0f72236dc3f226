package grammar

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"tsbot/data"
)

// msgPart is a stretch of the message that holds at most one update.
type msgPart struct {
	line       int // 1-based physical line
	start, end int // byte range in the message, trimmed
}

// splitParts cuts the message into lines, each line at ；; and 。, and each of
// those at ， or , where the next piece is an update of its own
// (柯桥辅导+3，省级站+1) but not where it continues a list of names.
func splitParts(text string, names *data.Places) []msgPart {
	var out []msgPart
	line := 1
	start := 0
	add := func(end int) {
		out = append(out, splitCommas(text, start, end, line, names)...)
	}
	for i := 0; i < len(text); {
		r, w := utf8.DecodeRuneInString(text[i:])
		switch r {
		case '\n', '\r', '\u2028', '\u2029':
			add(i)
			if r == '\r' && i+1 < len(text) && text[i+1] == '\n' {
				w++
			}
			line++
			start = i + w
		case ';', '；', '。':
			add(i)
			start = i + w
		}
		i += w
	}
	add(len(text))
	return out
}

func splitCommas(text string, start, end, line int, names *data.Places) []msgPart {
	var pieces []msgPart
	s := start
	for i := start; i < end; {
		r, w := utf8.DecodeRuneInString(text[i:])
		if r == ',' || r == '，' {
			pieces = append(pieces, msgPart{line, s, i})
			s = i + w
		}
		i += w
	}
	pieces = append(pieces, msgPart{line, s, end})
	if len(pieces) == 1 {
		return keepNonBlank(text, pieces) // no comma: nothing to decide
	}
	var out []msgPart
	var cur msgPart
	curHasInd, have := false, false
	for _, p := range pieces {
		sc := scanLine(foldLine(text[p.start:p.end]), names)
		hasInd := len(sc.inds) > 0
		if have && curHasInd && hasInd && sc.num != nil {
			out = append(out, cur)
			have = false
		}
		if !have {
			cur, curHasInd, have = p, hasInd, true
		} else {
			cur.end = p.end
			curHasInd = curHasInd || hasInd
		}
	}
	if have {
		out = append(out, cur)
	}
	return keepNonBlank(text, out)
}

// keepNonBlank trims the parts, and drops what is blank.
func keepNonBlank(text string, out []msgPart) []msgPart {
	kept := out[:0]
	for _, p := range out {
		seg := text[p.start:p.end]
		trimmed := strings.TrimLeftFunc(seg, unicode.IsSpace)
		p.start += len(seg) - len(trimmed)
		p.end = p.start + len(strings.TrimRightFunc(trimmed, unicode.IsSpace))
		if foldLine(text[p.start:p.end]) != "" {
			kept = append(kept, p)
		}
	}
	return kept
}

// firstLineWith reports the 1-based line of the first rune matching f, or 0.
func firstLineWith(s string, f func(rune) bool) int {
	line := 1
	prevCR := false
	for _, r := range s {
		if f(r) {
			return line
		}
		switch {
		case r == '\n' && prevCR:
		case r == '\n', r == '\r', r == '\u2028', r == '\u2029':
			line++
		}
		prevCR = r == '\r'
	}
	return 0
}
