package grammar

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"tsbot/data"
)

// namesFor cuts the text after the amount into names. Spaces separate names
// too, unless that makes more names than the amount and reading them as part
// of a name makes just enough: +1 甲纺织 有限公司 is one enterprise.
func namesFor(s string, amount int) []string {
	out := splitUnitNames(s)
	if n := max(amount, -amount); len(out) > n {
		if joined := splitNames(s, false); len(joined) == n {
			return joined
		}
	}
	return out
}

// checkNames refuses an update whose names are not names of enterprises or
// units: they would go on the official lists as typed. A second amount, an
// indicator or county word, markup, or text with no letter in it is a
// mistake to show, never a name to keep.
func checkNames(r partResult, names *data.Places) partResult {
	ch := r.change
	for _, name := range ch.Names {
		if msg := nameProblem(name, ch, names); msg != "" {
			return partError(r, msg)
		}
		// +1 +2 甲公司 is joined into one name when the amount asks for one.
		for _, word := range strings.Fields(name) {
			if word != name && isAmountText(word, names) {
				return partError(r, twoAmounts(word, ch.County, ch.Indicator))
			}
		}
	}
	return r
}

// nameProblem says why name cannot go on a list, or "" if it can.
func nameProblem(name string, ch Change, names *data.Places) string {
	sample := sampleLine(ch.County, ch.Indicator, "+1 "+sampleName(ch.Indicator))
	if hasMarkup(name) {
		return fmt.Sprintf("名称“%s”里有格式符号（< > & * ` 等）。请只写名称本身，例如：%s", name, sample)
	}
	if isAmountText(name, names) {
		return twoAmounts(name, ch.County, ch.Indicator)
	}
	sc := scanDepth(name, names, 1)
	if sc.textRunes == 0 {
		switch _, city := cityWords.match(name); {
		case len(sc.inds) > 0:
			return fmt.Sprintf("“%s”是指标名，不是名称。一行只写一项指标，名称写在数量后面，例如：%s", name, sample)
		case len(sc.counties) > 0 || city == len(name):
			return fmt.Sprintf("“%s”是区县名，不是名称。一行只写一个区县，名称写在数量后面，例如：%s", name, sample)
		}
		return fmt.Sprintf("没看懂“%s”，它不像名称。名称请写在数量后面，例如：%s", name, sample)
	}
	if !strings.ContainsFunc(name, isNameLetter) {
		return fmt.Sprintf("没看懂“%s”，它不像名称。名称请写在数量后面，例如：%s", name, sample)
	}
	return ""
}

func twoAmounts(second, county string, ind data.Indicator) string {
	return (&amountErr{kind: errTwoAmounts, text: second}).message(county, ind)
}

// isAmountText reports whether s reads as nothing but an amount: +2, =5,
// 3家, 三家, 新增2, 000.
func isAmountText(s string, names *data.Places) bool {
	if m := thousandsPattern.FindString(s); m != "" {
		s = strings.ReplaceAll(m, ",", "") + s[len(m):] // 1,000家 is an amount too
	}
	sc := scanDepth(s, names, 1)
	amount := sc.num != nil || sc.err != nil && sc.err.kind != errNoNumber && sc.err.kind != errNonNumeric
	return amount && sc.textRunes == 0 && len(sc.inds) == 0 && len(sc.counties) == 0
}

// thousandsPattern is a number with thousands separators at the start of a
// text: 1,000, +2,000.
var thousandsPattern = regexp.MustCompile(`^[+=-]?[0-9]{1,3}(,[0-9]{3})+`)

// isNameLetter is what every name holds at least one of.
func isNameLetter(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.IsLetter(r) && unicode.Is(unicode.Latin, r)
}

// entityPattern matches an HTML entity (&amp; &#39; &#x27;), with or without
// its ; (a ； ends the part, so the ; is often cut off).
var entityPattern = regexp.MustCompile(`(?i)&(#[0-9]{1,7}|#x[0-9a-f]{1,6}|amp|lt|gt|quot|apos|nbsp)(;|\b|$)`)

// hasMarkup reports HTML tags or entities and Markdown: text copied from a
// web page or a formatted message, which no registered name contains.
func hasMarkup(s string) bool {
	if lt := strings.IndexByte(s, '<'); lt >= 0 && strings.LastIndexByte(s, '>') > lt {
		return true
	}
	return strings.ContainsAny(s, "*`") || strings.Contains(s, "__") || strings.Contains(s, "~~") ||
		strings.Contains(s, "](") || entityPattern.MatchString(s)
}

// sampleName is a name to show in an example, by indicator.
func sampleName(ind data.Indicator) string {
	switch ind {
	case data.Tutoring:
		return "甲纺织有限公司"
	case data.Zone:
		return "某某高新区"
	}
	return "某某示范站"
}

// splitUnitNames cuts the text after the amount into names.
func splitUnitNames(s string) []string { return splitNames(s, true) }

func splitNames(s string, bySpace bool) []string {
	s = strings.TrimSpace(s)
	for _, p := range []string{"分别是", "分别为", "包括", "名单"} {
		s = strings.TrimSpace(strings.TrimPrefix(s, p))
	}
	// A list in brackets, （甲公司、乙公司）, loses them; brackets inside a
	// name stay: 绍兴某某（集团）有限公司 is one enterprise.
	s = strings.TrimSpace(stripOuterBrackets(s))
	var out []string
	start := 0
	for i, r := range s {
		// The comma of 1,000 is not a list's: the number stays whole, and
		// is then refused whole as a second amount.
		thousands := r == ',' && i > 0 && s[i-1] >= '0' && s[i-1] <= '9' && isThousandsGroup(s[i+1:])
		if thousands || !(bySpace && r == ' ') && !strings.ContainsRune("、,;:\"“”", r) {
			continue
		}
		out = appendName(out, s[start:i])
		start = i + utf8.RuneLen(r)
	}
	return appendName(out, s[start:])
}

// appendName adds one name of a list, trimmed of its quotes, if any is left.
func appendName(out []string, f string) []string {
	if f = strings.TrimSpace(strings.Trim(f, "《》【】")); f != "" {
		out = append(out, f)
	}
	return out
}

// stripOuterBrackets drops one pair of brackets around the whole of s.
func stripOuterBrackets(s string) string {
	if len(s) < 2 || s[0] != '(' || s[len(s)-1] != ')' {
		return s
	}
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 && i != len(s)-1 {
				return s // (集团)甲公司: the first bracket closes early
			}
		}
	}
	return s[1 : len(s)-1]
}
