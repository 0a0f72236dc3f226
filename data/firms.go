package data

// Near-duplicates: the same firm written differently. NormalizeName folds
// what is only typography (width, spaces, brackets); FirmKey also drops what
// a person may or may not write of a registered name: the legal form
// (有限公司, 厂…), a leading 绍兴市 or county, a place in brackets. Two names
// with one key are asked about, never recorded silently as two firms.
//
// The key errs towards matching: a false match costs the writer one press
// ("是另一家"), a missed one counts a firm twice on a list the province
// checks. So 乙领带 and 乙领带厂 are near (厂 is the legal form of an older
// registration, usually the same factory renamed 有限公司 later), while
// 甲纺织 and 甲印染 never are: the trade words are what tells firms apart.

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// DistinctMark, at the end of a name, says the writer was asked and the
// name is another firm than the near one listed: the ledger records the name
// without the mark and skips the near check for it. Exact duplicates are
// still refused.
const DistinctMark = "（另一家）"

// legalForms are the endings FirmKey drops, longest first; dropped again
// and again (甲集团有限公司 → 甲集团 → 甲).
var legalForms = []string{"股份有限公司", "有限责任公司", "有限公司", "股份公司", "公司", "集团", "厂", "店"}

// firmPlaces are the places a name may or may not carry: 绍兴 and its
// counties, as registered names write them.
var firmPlaces = []string{"绍兴", "越城", "柯桥", "上虞", "诸暨", "嵊州", "新昌"}

// FirmKey is what near-duplicates are judged on. It is never empty for a
// name NormalizeName keeps: a name that is nothing but a legal form keys on
// itself.
func FirmKey(name string) string {
	full := NormalizeName(name)
	s := NormalizeName(dropPlaceBrackets(FoldWidth(name)))
	for changed := true; changed; {
		changed = false
		for _, p := range firmPlaces {
			for _, suf := range []string{"市", "区", "县", ""} {
				if p == "绍兴" || suf != "" { // a bare county is part of many names (柯桥纺织示范站)
					if t, ok := strings.CutPrefix(s, p+suf); ok && t != "" {
						s, changed = t, true
					}
				}
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for _, f := range legalForms {
			if t, ok := strings.CutSuffix(s, f); ok && t != "" {
				s, changed = t, true
				break
			}
		}
	}
	if s == "" {
		return full
	}
	return s
}

// Near says a and b are the same firm written (perhaps) differently: their
// FirmKeys are equal. Names that normalize the same are near too; the ledger
// refuses those as duplicates first.
func Near(a, b string) bool {
	return FirmKey(a) == FirmKey(b)
}

// dropPlaceBrackets removes a bracketed group that holds only a place
// (（嵊州）, (绍兴市), 【柯桥区】) or 集团: what registered names put in
// brackets and people leave out. Other brackets keep their text.
func dropPlaceBrackets(s string) string {
	pairs := map[rune]rune{'(': ')', '[': ']', '【': '】', '〔': '〕', '〈': '〉'}
	var b strings.Builder
	for {
		i := strings.IndexFunc(s, func(r rune) bool { _, ok := pairs[r]; return ok })
		if i < 0 {
			break
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		j := strings.IndexRune(s[i+n:], pairs[r])
		if j < 0 {
			break
		}
		end := i + n + j + utf8.RuneLen(pairs[r])
		b.WriteString(s[:i])
		if inner := strings.TrimSpace(s[i+n : i+n+j]); !isFirmPlace(inner) && inner != "集团" {
			b.WriteString(s[i:end])
		}
		s = s[end:]
	}
	b.WriteString(s)
	return b.String()
}

func isFirmPlace(s string) bool {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "绍兴市"), "绍兴")
	if s == "" {
		return true
	}
	s = strings.TrimRightFunc(s, func(r rune) bool { return strings.ContainsRune("市区县", r) })
	for _, p := range firmPlaces {
		if s == p {
			return true
		}
	}
	return false
}

// cutDistinct takes DistinctMark (or its half-width form) off a name.
func cutDistinct(name string) (string, bool) {
	t := strings.TrimRightFunc(name, unicode.IsSpace)
	for _, m := range []string{DistinctMark, "(另一家)"} {
		if s, ok := strings.CutSuffix(t, m); ok {
			return strings.TrimSpace(s), true
		}
	}
	return name, false
}

// SameFirmElsewhere is one firm on the lists of more than one county: the
// names as each county wrote them, in list order. The admin is shown these,
// since a firm is tutored (or cultivated) by one county.
type SameFirmElsewhere struct {
	Key   string
	Names []Listed
}

// CrossCounty finds the firms that are on two or more counties' lists, in
// the order their first name was listed.
func CrossCounty(names []Listed) []SameFirmElsewhere {
	byKey := map[string]int{}
	var groups []SameFirmElsewhere
	for _, n := range names {
		k := FirmKey(n.Name)
		i, ok := byKey[k]
		if !ok {
			i = len(groups)
			byKey[k] = i
			groups = append(groups, SameFirmElsewhere{Key: k})
		}
		groups[i].Names = append(groups[i].Names, n)
	}
	var out []SameFirmElsewhere
	for _, g := range groups {
		for _, n := range g.Names[1:] {
			if n.County != g.Names[0].County {
				out = append(out, g)
				break
			}
		}
	}
	return out
}
