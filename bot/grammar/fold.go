package grammar

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// trimEdgeEmoji drops the emoji (and the spaces between them) that start or
// end each line, keeping the line breaks.
func trimEdgeEmoji(text string) string {
	edge := func(r rune) bool { return isEmojiRune(r) || unicode.IsSpace(r) && !isLineBreak(r) }
	var b strings.Builder
	for len(text) > 0 {
		end := strings.IndexFunc(text, isLineBreak)
		if end < 0 {
			end = len(text)
		} else {
			_, w := utf8.DecodeRuneInString(text[end:])
			end += w
		}
		line, brk := text[:end], ""
		if k := strings.IndexFunc(line, isLineBreak); k >= 0 {
			line, brk = line[:k], line[k:]
		}
		b.WriteString(strings.TrimFunc(line, edge))
		b.WriteString(brk)
		text = text[end:]
	}
	return b.String()
}

// foldLine folds what input methods vary on: full-width forms, odd spaces,
// invisible marks, and the punctuation a line may end with.
func foldLine(s string) string {
	out, _ := foldLineMap(s)
	return out
}

// foldLineMap folds s and returns, for every byte offset k of the result
// (and its end), the offset in s of the character that produced it, so that
// a rewrite of the folded text can be applied to what the user typed.
func foldLineMap(s string) (string, []int) {
	b := make([]byte, 0, len(s))
	at := make([]int, 0, len(s)+1)
	for i, r := range s {
		switch {
		case r == '\t', r == '\u00a0', r >= '\u2000' && r <= '\u200a', r == '\u202f', r == '\u205f', r == '\u3000':
			r = ' '
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII, as data.FoldWidth
			r -= 0xFEE0
		case r == '\u200b', r == '\u200c', r == '\u2060', r == '\ufeff':
			continue // invisible marks pasted from documents (Parse refuses the bidi controls)
		case r == '\u2212', r == '\ufe63', r == '\u2014', r == '\u2013':
			r = '-'
		case r == '\ufe62':
			r = '+'
		}
		n := len(b)
		b = utf8.AppendRune(b, r)
		for k := n; k < len(b); k++ {
			at = append(at, i)
		}
	}
	at = append(at, len(s))
	out := string(b)
	trimmed := strings.TrimLeft(out, " ")
	lead := len(out) - len(trimmed)
	trimmed = strings.TrimRightFunc(trimmed, func(r rune) bool {
		return r == ' ' || strings.ContainsRune("。!,.?~、;:…", r)
	})
	return trimmed, at[lead : lead+len(trimmed)+1]
}
