package grammar

import (
	"slices"
	"strings"
	"unicode/utf8"

	"tsbot/data"
)

// scanLine scans one normalized part.
func scanLine(s string, names *data.Places) lineScan {
	return scanDepth(s, names, 0)
}

func scanDepth(s string, names *data.Places, depth int) lineScan {
	z := &scanner{s: s, names: names, boundary: true}
	for z.i < len(s) {
		if z.pend == nil && z.sc.num != nil && len(z.sc.inds) > 0 {
			z.flush()
			z.sc.names = strings.TrimSpace(s[z.i:])
			break
		}
		if !z.token() {
			z.other()
		}
	}
	if z.pend != nil {
		z.resolve("")
	}
	z.flush()
	if n := z.sc.num; n != nil && n.weak && z.sc.textRunes > 0 {
		// 今年要完成20家: 完成 in a sentence is talk, and its number as bare
		// as if 完成 were any other word.
		n.explicit, n.op, n.weak = false, OpAdd, false
		z.sc.textRunes += utf8.RuneCountInString(n.sign)
	}
	if z.sc.names != "" {
		z.sc.readNames(names, depth)
	}
	return z.sc
}

// scanner is the state of scanDepth as it walks a part: one method per kind
// of token, tried in the order the package comment gives.
type scanner struct {
	s        string
	names    *data.Places
	i        int // byte offset of the next token
	sc       lineScan
	chunk    strings.Builder // leftover text not yet flushed into sc.text
	boundary bool            // s[i] starts a word
	pend     *pendingOp      // a sign or keyword waiting for its number
}

// pendingOp is a sign or keyword waiting for its number (新增 … 3家).
type pendingOp struct {
	op     Op
	neg    bool
	symbol bool // + - = rather than a word: a missing number is then an error
	text   string
	negSet bool // =-3
	weak   bool // 完成: a total only on a line of nothing else
}

func (z *scanner) flush() {
	if z.chunk.Len() > 0 {
		z.sc.text = append(z.sc.text, z.chunk.String())
		z.chunk.Reset()
	}
}

func (z *scanner) leftover(t string) {
	z.chunk.WriteString(t)
	z.sc.textRunes += utf8.RuneCountInString(t)
	z.boundary = false
}

// resolve settles a sign or keyword that found no number.
func (z *scanner) resolve(next string) {
	if z.pend == nil {
		return
	}
	p := z.pend
	z.pend = nil
	if p.symbol {
		if next == "" {
			z.sc.setErr(errNoNumber, p.text)
		} else {
			z.sc.setErr(errNonNumeric, p.text+next)
		}
		return
	}
	if next == "" {
		// 柯桥 辅导企业 新增: the number was forgotten
		z.sc.setErr(errNoNumber, p.text)
		return
	}
	z.leftover(p.text)
}

// skip moves past n bytes of grammar, leaving s[i] at a word boundary.
func (z *scanner) skip(n int) {
	z.flush()
	z.i += n
	z.boundary = true
}

// token reads the token at s[i], if it is one; false means leftover text.
func (z *scanner) token() bool {
	s, i := z.s, z.i
	r, w := utf8.DecodeRuneInString(s[i:])
	if r == ' ' || (r == ':' && z.pend != nil) {
		z.skip(w)
		return true
	}
	if co, n := matchPlace(s[i:], z.names); n > 0 {
		z.skip(n)
		z.sc.addCounty(co)
		return true
	}
	if _, n := cityWords.match(s[i:]); n > 0 {
		z.skip(giveBack(s[i:], n))
		return true
	}
	if in, n := matchIndicator(s[i:]); n > 0 {
		z.sc.addIndicator(indFound{ind: in.ind, station: in.station, text: s[i : i+n], start: i, end: i + n})
		z.skip(n)
		return true
	}
	switch {
	case r == '@':
		// an @mention of the bot in a group
		j := i + 1
		for j < len(s) && (isASCIIAlnum(s[j]) || s[j] == '_') {
			j++
		}
		z.skip(j - i)
		return true
	case r == '+' || r == '-' || r == '=':
		z.flush()
		z.sign(r)
		z.skip(w)
		return true
	case isLineSep(r):
		z.resolve(string(r))
		z.skip(w)
		return true
	}
	return z.boundary && z.word()
}

// sign reads + - = (a sign may follow another: =-3 is refused later, 累计+3 is a total).
func (z *scanner) sign(r rune) {
	sym := pendingOp{symbol: true, text: string(r), neg: r == '-'}
	if r == '=' {
		sym.op = OpSet
	}
	pend := z.pend
	switch {
	case pend == nil:
		z.pend = &sym
	case pend.op == OpSet && r == '-':
		pend.negSet, pend.text = true, pend.text+"-"
	case pend.op == OpSet && r == '+' || !pend.symbol && pend.op == sym.op && pend.neg == sym.neg:
		pend.text += string(r)
	default:
		// +- , -+ , ==: no telling what was meant
		z.pend = nil
		z.sc.setErr(errNonNumeric, pend.text+string(r))
	}
}

// word reads what only counts at a word boundary: a query word, an amount
// keyword, a number, a filler.
func (z *scanner) word() bool {
	s, i := z.s, z.i
	if _, n := queryWords.match(s[i:]); n > 0 && z.pend == nil {
		z.flush()
		z.sc.query = true
		z.i += n
		return true
	}
	if ow, n := matchOpWord(s[i:]); n > 0 {
		z.flush()
		// 新增了, 一共有, 改为, 累计达到了
		for _, suffix := range []string{"了", "有", "为", "到"} {
			if strings.HasPrefix(s[i+n:], suffix) {
				n += len(suffix)
				break
			}
		}
		z.opWord(ow, s[i:i+n])
		z.i += n
		return true
	}
	if z.number() {
		return true
	}
	if z.pend != nil && (strings.HasPrefix(s[i:], "几") || strings.HasPrefix(s[i:], "若干")) {
		t := z.pend.text + firstWordOf(s[i:])
		z.pend = nil
		z.sc.setErr(errNonNumeric, t)
		z.i += len(firstWordOf(s[i:]))
		return true
	}
	if _, n := fillerWords.match(s[i:]); n > 0 && z.pend == nil {
		z.flush()
		z.i += n
		return true
	}
	return false
}

// opWord takes an amount keyword; typed is the keyword with its suffix.
func (z *scanner) opWord(ow opWord, typed string) {
	pend := z.pend
	weak := slices.Contains(weakOpWords, ow.text)
	switch {
	case pend == nil && weak:
		z.pend = &pendingOp{op: ow.op, neg: ow.neg, text: typed, weak: true}
	case pend == nil:
		z.pend = &pendingOp{op: ow.op, neg: ow.neg, text: ow.text}
	case pend.op == ow.op && pend.neg == ow.neg && !pend.negSet:
		pend.text += ow.text          // 累计达到, +新增
		pend.weak = pend.weak && weak // 累计完成 is a total
	default:
		// 累计减少3, 新增共3: a total and a change at once
		z.pend = nil
		z.sc.setErr(errNonNumeric, pend.text+ow.text)
	}
}

// number reads an amount (or a date, which is leftover text) at s[i].
func (z *scanner) number() bool {
	s, i := z.s, z.i
	n, ok := scanNumber(s, i, z.names)
	if !ok {
		return false
	}
	z.flush()
	num := amountTok{start: i, text: strings.TrimSpace(s[i:n.digitsEnd]), value: n.value}
	word := n.date || n.glued || n.thousands && len(z.sc.inds) == 0
	if word && z.pend == nil {
		// 2027年, 9-30, 5G, 3M: a word, not an amount (nor 1,000人 in talk)
		z.leftover(s[i:n.end])
		z.i = n.end
		return true
	}
	sign := ""
	if z.pend != nil {
		sign = z.pend.text
	}
	switch {
	case n.decimal:
		z.sc.setErr(errDecimal, s[i:n.end])
	case n.approx:
		z.sc.setErr(errApprox, s[i:n.end])
	case n.thousands:
		z.sc.setErr(errThousands, sign+s[i:n.end])
	case n.dash:
		z.sc.setErr(errTwoAmounts, s[n.digitsEnd:n.end]) // +3-1
	case n.date || n.glued:
		z.sc.setErr(errNonNumeric, sign+s[i:n.end]) // +1e3, 达到100%
	}
	if p := z.pend; p != nil {
		num.explicit, num.op, num.neg, num.weak, num.sign = true, p.op, p.neg, p.weak, p.text
		if p.negSet {
			z.sc.setErr(errNegativeTotal, p.text+num.text)
		}
		z.pend = nil
	}
	z.sc.addNumber(num)
	z.i = n.end
	z.boundary = true
	return true
}

// other takes one rune of leftover text: a keyword waiting here was not an
// amount after all.
func (z *scanner) other() {
	if z.pend != nil {
		z.resolve(firstWordOf(z.s[z.i:]))
	}
	r, w := utf8.DecodeRuneInString(z.s[z.i:])
	z.leftover(string(r))
	z.i += w
}

func firstWordOf(s string) string {
	end := len(s)
	for i, r := range s {
		if i > 0 && (isLineSep(r) || r == ' ') {
			end = i
			break
		}
	}
	if rs := []rune(s[:end]); len(rs) > 8 {
		return string(rs[:8])
	}
	return s[:end]
}
