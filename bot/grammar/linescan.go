package grammar

import (
	"slices"
	"strings"
	"unicode/utf8"

	"tsbot/data"
)

// lineScan is what the scanner found in one part.
type lineScan struct {
	counties  []string // canonical names, distinct, in order of appearance
	inds      []indFound
	station   *indFound // a 示范站 of no stated level
	query     bool
	num       *amountTok // the first amount
	numCount  int
	err       *amountErr // the first amount that cannot be read
	text      []string   // leftover words before the names
	textRunes int
	names     string // the text after the amount and the indicator
	nested    bool   // the names hold a second update
	nestedInd data.Indicator
}

func (sc lineScan) countyName() string {
	if len(sc.counties) > 0 {
		return sc.counties[0]
	}
	return ""
}

// indicator returns the one indicator (Ambiguity-free callers) and the text
// the user wrote for it.
func (sc lineScan) indicator() (data.Indicator, string) {
	if len(sc.inds) == 0 {
		return -1, ""
	}
	x := sc.inds[0]
	if x.station {
		return -1, x.text
	}
	return x.ind, x.text
}

type indFound struct {
	ind        data.Indicator
	station    bool // no level given: provincial or city/county
	text       string
	start, end int
}

type amountTok struct {
	op       Op
	explicit bool // a sign or keyword said + or =
	neg      bool
	value    int
	start    int // byte offset of the digits: where a sign goes in a rewrite
	text     string
	sign     string // the sign or keyword that made it explicit, as typed
	weak     bool   // made explicit by a word that is also talk (完成): see scanDepth
}

func (sc *lineScan) addCounty(co string) {
	if !slices.Contains(sc.counties, co) {
		sc.counties = append(sc.counties, co)
	}
}

func (sc *lineScan) addNumber(n amountTok) {
	sc.numCount++
	if sc.num == nil {
		sc.num = &n
	}
}

// readNames looks at the text after the amount: a lone county there is the
// county (辅导企业+3 柯桥); another indicator with an amount is a second
// update crammed onto the line.
func (sc *lineScan) readNames(names *data.Places, depth int) {
	sc.readTotalMark()
	if sc.names == "" {
		return
	}
	if co, n := matchPlace(sc.names, names); n > 0 && n == len(sc.names) {
		if len(sc.counties) == 0 || sc.counties[0] != co {
			sc.counties = append(sc.counties, co)
		}
		sc.names = ""
		return
	}
	if depth == 0 {
		inner := scanDepth(sc.names, names, 1)
		if len(inner.inds) > 0 && (inner.num != nil || inner.err != nil) {
			sc.nested = true
			sc.nestedInd, _ = inner.indicator()
		}
	}
}

// readTotalMark reads a total mark at the start of the names: it makes a
// bare number a total, agrees with a total, and contradicts a change (+3 累计).
func (sc *lineScan) readTotalMark() {
	rest := sc.names
	open := strings.HasPrefix(rest, "(")
	if open {
		rest = strings.TrimLeft(rest[1:], " ")
	}
	mark, n := totalMarks.match(rest)
	if n == 0 {
		return
	}
	rest = rest[n:]
	if r, _ := utf8.DecodeRuneInString(rest); rest != "" && !isLineSep(r) {
		return // 共享科技有限公司: a name that starts like a mark
	}
	if rest = strings.TrimLeft(rest, " "); open {
		if !strings.HasPrefix(rest, ")") {
			return
		}
		rest = rest[1:]
	}
	switch num := sc.num; {
	case !num.explicit:
		num.explicit, num.op = true, OpSet
	case num.op != OpSet:
		sc.setErr(errNonNumeric, num.sign+num.text+" "+mark)
	}
	sc.names = strings.TrimSpace(rest)
}

func (sc *lineScan) setErr(k amountErrKind, text string) {
	if sc.err == nil {
		sc.err = &amountErr{kind: k, text: text}
	}
}

func (sc *lineScan) addIndicator(f indFound) {
	for _, x := range sc.inds {
		if x.station == f.station && (f.station || x.ind == f.ind) {
			return
		}
	}
	sc.inds = append(sc.inds, f)
	if f.station && sc.station == nil {
		sc.station = &sc.inds[len(sc.inds)-1]
	}
}
