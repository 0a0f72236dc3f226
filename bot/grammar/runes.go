package grammar

import (
	"strings"
	"unicode"
)

// Kinds of character the grammar tells apart.

func isLineBreak(r rune) bool {
	return r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029'
}

func allHanRunes(rs []rune) bool {
	for _, r := range rs {
		if !unicode.Is(unicode.Han, r) {
			return false
		}
	}
	return true
}

// isLineSep reports what separates words on a line: a number or keyword
// ends there.
func isLineSep(r rune) bool {
	return r == ' ' || strings.ContainsRune(":,、()[]【】《》\"'“”‘’·~!?.", r)
}

func isASCIIAlnum(b byte) bool {
	return b >= '0' && b <= '9' || isASCIILetter(b)
}

func isASCIILetter(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// IsControlRune reports a control character other than a line break or a
// tab: Parse refuses a message with one, and a name quoted back hides it.
func IsControlRune(r rune) bool {
	return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t'
}

// isEmojiRune covers the pictographs, dingbats and symbol blocks, the variation
// selectors and the zero-width joiner that glue emoji sequences together.
func isEmojiRune(r rune) bool {
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF, // mahjong … symbols and pictographs extended-A
		r >= 0x2600 && r <= 0x27BF,   // misc symbols, dingbats
		r >= 0x2B00 && r <= 0x2BFF,   // arrows and stars (⭐)
		r >= 0x2300 && r <= 0x23FF,   // ⌚ ⏰
		r >= 0xFE00 && r <= 0xFE0F,   // variation selectors
		r >= 0xE0000 && r <= 0xE007F, // tags (flag sequences)
		r == 0x200D, r == 0x20E3, r == 0x3030, r == 0x303D, r == 0x3297, r == 0x3299:
		return true
	}
	return false
}
