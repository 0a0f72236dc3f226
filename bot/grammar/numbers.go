package grammar

import (
	"strings"
	"unicode/utf8"

	"tsbot/data"
)

// hanDigits are the characters a Chinese numeral is written with (see hanValue).
var hanDigits = "零〇一二两三四五六七八九十百千万"

// numScan is a number read at some offset, with what followed it.
type numScan struct {
	value     int
	digitsEnd int // end of the number itself
	end       int // end of the number with its measure word
	decimal   bool
	approx    bool // 十多家, 20余家, 3家左右
	date      bool // 2027年, 9月, 3点, 9-30
	dash      bool // the date is digits-digits: after a sign, +3-1 is two amounts
	glued     bool // digits run into Latin letters: 1e3, 3M
	thousands bool // 1,000
}

// scanNumber reads Arabic or Chinese numerals at s[i:], then a measure word.
func scanNumber(s string, i int, names *data.Places) (numScan, bool) {
	n, han, ok := readNumeral(s, i)
	if !ok {
		return n, false
	}
	if n.readSuffix(s, han) {
		return n, true
	}
	return n, n.readMeasure(s, han, names)
}

// readNumeral reads the digits at s[i:], Arabic or Chinese (han), into
// value and digitsEnd.
func readNumeral(s string, i int) (n numScan, han, ok bool) {
	j := i
	switch {
	case j < len(s) && s[j] >= '0' && s[j] <= '9':
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			if n.value <= MaxAmount*10000 {
				n.value = n.value*10 + int(s[j]-'0')
			}
			j++
		}
	default:
		k := j
		for k < len(s) {
			r, w := utf8.DecodeRuneInString(s[k:])
			if !strings.ContainsRune(hanDigits, r) {
				break
			}
			k += w
		}
		if k == j {
			return n, false, false
		}
		v, valid := hanValue(s[j:k])
		if !valid {
			return n, false, false
		}
		n.value, j, han = v, k, true
	}
	n.digitsEnd = j
	return n, han, true
}

// readMeasure reads the measure word after the digits, maybe after a space
// (3家, 3 家, 3家企业, 3家左右), and sets end. It reports false for a Chinese
// numeral inside a word, which is no number.
func (n *numScan) readMeasure(s string, han bool, names *data.Places) bool {
	j := n.digitsEnd
	k := j
	for k < len(s) && s[k] == ' ' {
		k++
	}
	if r, w := utf8.DecodeRuneInString(s[k:]); strings.ContainsRune(measureWords, r) && r != utf8.RuneError {
		j = k + w
		if strings.HasPrefix(s[j:], "左右") {
			n.approx, n.end = true, j+len("左右")
			return true
		}
		// 3家企业 / 2个单位, unless that is the indicator itself (3家企业辅导)
		if _, m := matchIndicator(s[j:]); m == 0 {
			for _, noun := range []string{"企业", "单位"} {
				if strings.HasPrefix(s[j:], noun) {
					j += len(noun)
					break
				}
			}
		}
	} else if han {
		// A Chinese numeral must stand alone (三, 三家, 三 甲公司); inside a
		// word (统一, 一些) it is not a number.
		if k < len(s) && k == j {
			if _, m := matchIndicator(s[k:]); m == 0 {
				if _, m := matchPlace(s[k:], names); m == 0 && !isLineSep(r) {
					return false
				}
			}
		}
	}
	n.end = j
	return true
}

// readSuffix reads what ends a number other than a measure word: a decimal,
// a date or time, approximation, letters (1e3, 3M), a thousands group
// (1,000). It reports whether it found one; n.end is then past it.
func (n *numScan) readSuffix(s string, han bool) bool {
	j := n.digitsEnd
	r, w := utf8.DecodeRuneInString(s[j:])
	switch {
	case !han && j < len(s) && isASCIILetter(s[j]):
		for j < len(s) && isASCIIAlnum(s[j]) {
			j++
		}
		n.glued, n.end = true, j
		return true
	case !han && r == ',' && isThousandsGroup(s[j+1:]):
		n.thousands, n.end = true, j+4
		return true
	case r == '.' && j+1 < len(s) && s[j+1] >= '0' && s[j+1] <= '9' && !han:
		j += w
		for j < len(s) && (s[j] >= '0' && s[j] <= '9') {
			j++
		}
		n.decimal, n.end = true, j
		return true
	case (r == '-' || r == '/' || r == ':') && j+1 < len(s) && s[j+1] >= '0' && s[j+1] <= '9' && !han:
		for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '-' || s[j] == '/' || s[j] == ':') {
			j++
		}
		n.date, n.dash, n.end = true, r == '-', j
		return true
	case strings.ContainsRune("年月日号点时分秒岁%度", r):
		n.date, n.end = true, j+w
		return true
	case strings.ContainsRune("多余几", r) && r != utf8.RuneError:
		n.approx, n.end = true, j+w
		return true
	}
	return false
}

// isThousandsGroup reports whether s starts with the three digits of a
// thousands group (the 000 of 1,000), not a longer number or a word (3M).
func isThousandsGroup(s string) bool {
	if len(s) < 3 {
		return false
	}
	for k := range 3 {
		if s[k] < '0' || s[k] > '9' {
			return false
		}
	}
	return len(s) == 3 || !isASCIIAlnum(s[3])
}

// hanValue reads 三, 十五, 二十五, 一百零五, 两千, 一〇〇. It reports false for
// forms that are not numbers (十十).
func hanValue(s string) (int, bool) {
	rs := []rune(s)
	if len(rs) > 12 {
		return MaxAmount * 10000, true // absurdly long: let the range check say so
	}
	hasUnit := strings.ContainsAny(s, "十百千万")
	if !hasUnit {
		// 一〇〇: digit by digit
		v := 0
		for _, r := range rs {
			v = v*10 + hanDigit(r)
		}
		return v, true
	}
	total, section, d := 0, 0, -1
	lastUnit := 100000
	for _, r := range rs {
		if x := hanDigit(r); x >= 0 {
			if d > 0 {
				return 0, false // 三四十: two digits running into each other
			}
			d = x
			continue
		}
		unit := map[rune]int{'十': 10, '百': 100, '千': 1000, '万': 10000}[r]
		if unit == 10000 {
			total = (total + section + max(d, 0)) * 10000
			section, d, lastUnit = 0, -1, 10000
			continue
		}
		if unit >= lastUnit {
			return 0, false
		}
		if d < 0 {
			d = 1 // 十五
		}
		section += d * unit
		d, lastUnit = -1, unit
	}
	return total + section + max(d, 0), true
}

// hanDigit is the value of a Chinese digit, or -1.
func hanDigit(r rune) int {
	switch r {
	case '零', '〇':
		return 0
	case '一':
		return 1
	case '二', '两':
		return 2
	case '三':
		return 3
	case '四':
		return 4
	case '五':
		return 5
	case '六':
		return 6
	case '七':
		return 7
	case '八':
		return 8
	case '九':
		return 9
	}
	return -1
}
