package data

import (
	"slices"
	"unicode/utf8"
)

// Places finds the county a text starts with, among every spelling of every
// county (柯桥, 柯桥区, 绍兴市柯桥区, the aliases): built once per campaign as a
// map from spelling to county, asked at the few lengths spellings have,
// longest first, so a scanner that asks at every position of a line makes a
// handful of look-ups, not a pass over the province's hundreds of spellings
// (which share their first characters: 绍兴…).
type Places struct {
	canonical map[string]string // spelling → county
	// lengths are, per first character, the lengths in runes of the
	// spellings that start with it, longest first.
	lengths  map[rune][]int
	counties []string // canonical names, in the campaign's order
}

func newPlaces(spellings []NameOf) *Places {
	p := &Places{canonical: make(map[string]string, len(spellings)), lengths: map[rune][]int{}}
	seen := map[string]bool{}
	for _, nm := range spellings { // longest first: the first of a spelling wins
		if _, ok := p.canonical[nm.Spelling]; !ok {
			p.canonical[nm.Spelling] = nm.Canonical
		}
		first, _ := utf8.DecodeRuneInString(nm.Spelling)
		if n := utf8.RuneCountInString(nm.Spelling); !slices.Contains(p.lengths[first], n) {
			p.lengths[first] = append(p.lengths[first], n)
		}
		if !seen[nm.Canonical] {
			seen[nm.Canonical] = true
			p.counties = append(p.counties, nm.Canonical)
		}
	}
	for r := range p.lengths {
		slices.Sort(p.lengths[r])
		slices.Reverse(p.lengths[r])
	}
	return p
}

// Match returns the canonical name of the longest spelling s starts with,
// and that spelling's length in bytes; "" and 0 when none. A nil Places
// (no campaign) knows no county.
func (p *Places) Match(s string) (canonical string, n int) {
	if p == nil || s == "" {
		return "", 0
	}
	first, _ := utf8.DecodeRuneInString(s)
	for _, runes := range p.lengths[first] {
		end, i := 0, 0
		for i < runes && end < len(s) {
			_, w := utf8.DecodeRuneInString(s[end:])
			end += w
			i++
		}
		if i < runes {
			continue // s is shorter than this length
		}
		if c, ok := p.canonical[s[:end]]; ok {
			return c, end
		}
	}
	return "", 0
}

// Counties lists the canonical county names.
func (p *Places) Counties() []string {
	if p == nil {
		return nil
	}
	return p.counties
}
