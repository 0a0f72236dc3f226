package bot

// The message grammar: how a line typed on a phone becomes a change to the
// ledger. Parse is pure (a function of the text and the campaign) so it can be
// table-tested and fuzzed without a chat, a database or a clock.
//
// The scanner walks a line left to right and, at each position, tries the
// things staff type in a fixed order: a county, the city (绍兴/全市), an
// indicator, an @mention, a + - = sign, and, only at a word boundary, a query
// word, an amount keyword (新增, 累计 …), a filler (了, 今天 …) or a number.
// Anything else is "leftover" text. Once a line has an indicator and an amount,
// the rest of it is the list of names and is not scanned as grammar, so a
// company called 嵊州某某有限公司 never reads as a second county. Each name is
// then checked (checkNames): the names go to the province as typed, so a
// second amount, an indicator, markup or a name with no letter is refused.

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"tsbot/data"
)

// Op says how an amount applies to the ledger.
type Op int

const (
	OpAdd Op = iota // signed delta
	OpSet           // set the total
)

func (o Op) String() string {
	if o == OpSet {
		return "set"
	}
	return "add"
}

// Change is one update: one county, one indicator, one amount.
type Change struct {
	County    string // canonical county name (data.County.Name), "" if the line names none
	Indicator data.Indicator
	Op        Op
	Amount    int      // OpAdd: signed delta (never 0); OpSet: the new total (>= 0)
	Names     []string // names of enterprises/units written after the amount, if any
	Line      string   // the original line, trimmed
}

// Intent is what a message is for.
type Intent int

const (
	Chatter Intent = iota // not meant for the bot
	Update
	Query
)

func (i Intent) String() string {
	switch i {
	case Update:
		return "update"
	case Query:
		return "query"
	}
	return "chatter"
}

// Parsed is what a message asks for.
type Parsed struct {
	Intent  Intent
	Changes []Change // Intent == Update
	County  string   // Intent == Query: the county asked about, "" = whole city
}

// Limits. A message is measured in runes, not bytes: a Chinese character is
// three bytes, and Telegram's own limit (4096) is in characters.
const (
	MaxRunes   = 4096 // longest message read
	MaxChanges = 20   // most updates in one message
	MaxAmount  = 1000 // largest amount in one update; more is a typo (+1000 would be a whole province)
)

// InputError is a message meant for the bot that cannot be understood. Msg is
// the short Chinese reply saying what to type instead; Line is the 1-based
// line of the message at fault (0 = the whole message).
type InputError struct {
	Line int
	Msg  string
}

func (e *InputError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("第%d行：%s", e.Line, e.Msg)
	}
	return e.Msg
}

// Ambiguity is a line with two (or four) readings. The bot never guesses: it
// asks, with one button per reading. Options are the whole message rewritten
// with that line made explicit, so a button can simply re-run Parse.
type Ambiguity struct {
	Line     int
	Question string
	Options  []string
	Labels   []string
	// part is the index of the ambiguous part among the message's non-blank
	// parts (a line may hold several, split by ；or ，). A rewritten option
	// may still ask about another part of the same line, never this one.
	part int
}

func (a *Ambiguity) Error() string {
	if a.Line > 0 {
		return fmt.Sprintf("第%d行：%s", a.Line, a.Question)
	}
	return a.Question
}

// Parse reads one chat message. It never panics and never returns both a
// result and an error; the error, if any, is an *InputError or an *Ambiguity.
//
// Control characters and invalid UTF-8 are always an *InputError, as is a
// message over MaxRunes runes. A bidi control (data.IsBidiControl) is an
// *InputError in any message that is not chatter without it: what a phone
// shows is then not what the bot would read.
func Parse(text string, c *data.Campaign) (Parsed, error) {
	if !utf8.ValidString(text) {
		return Parsed{}, &InputError{Msg: "消息里有无法识别的字符，请重新输入，例如：" + sampleLine("", -1, "+3")}
	}
	if n := utf8.RuneCountInString(text); n > MaxRunes {
		return Parsed{}, &InputError{Msg: fmt.Sprintf("消息太长（%d字，最多%d字），请分几条发送。", n, MaxRunes)}
	}
	if line := firstLineWith(text, isControlRune); line > 0 {
		return Parsed{}, &InputError{Line: line, Msg: "消息里有看不见的控制字符，请重新输入，例如：" + sampleLine("", -1, "+3")}
	}
	if line := firstLineWith(text, data.IsBidiControl); line > 0 {
		p, err := parseEmoji(strings.Map(func(r rune) rune {
			if data.IsBidiControl(r) {
				return -1
			}
			return r
		}, text), c)
		if err == nil && p.Intent == Chatter {
			return p, nil
		}
		return Parsed{}, &InputError{Line: line, Msg: msgBidi}
	}
	return parseEmoji(text, c)
}

// msgBidi is the reply to a message with a bidi control, typically pasted.
const msgBidi = "消息里有改变文字方向的隐藏字符，手机上显示的可能和实际内容不一样。请不要复制粘贴，手动重新输入，例如：柯桥 辅导企业 +3"

// parseEmoji reads a message that may hold emoji. Emoji at the start or end
// of a line are decoration (👍 柯桥 辅导企业 +3, 柯桥 辅导企业 +3🎉) and are
// dropped. A message with an emoji anywhere else that would be chatter
// without it (好的👍) is chatter; any other is an *InputError, because an
// update must be read exactly: 柯👍桥 is no county.
func parseEmoji(text string, c *data.Campaign) (Parsed, error) {
	line := firstLineWith(text, isEmojiRune)
	if line == 0 {
		return parseMessage(text, c)
	}
	if trimmed := trimEdgeEmoji(text); firstLineWith(trimmed, isEmojiRune) == 0 {
		return parseMessage(trimmed, c)
	}
	p, err := parseMessage(strings.Map(func(r rune) rune {
		if isEmojiRune(r) {
			return -1
		}
		return r
	}, text), c)
	if err == nil && p.Intent == Chatter {
		return p, nil
	}
	return Parsed{}, &InputError{Line: line, Msg: "请去掉表情符号后重发，例如：" + sampleLine("", -1, "+3")}
}

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

func isLineBreak(r rune) bool {
	return r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029'
}

// msgPart is a stretch of the message that holds at most one update.
type msgPart struct {
	line       int // 1-based physical line
	start, end int // byte range in the message, trimmed
}

// partKind is what one part turned out to be.
type partKind int

const (
	outChatter partKind = iota
	outHeader           // a county alone on its line: the county of the lines below
	outQuery
	outUpdate
	outError
	outAmbiguous
)

type partResult struct {
	kind     partKind
	county   string // outHeader, outQuery
	change   Change
	msg      string     // outError
	amb      *Ambiguity // outAmbiguous (Line and Options filled in by parseMessage)
	edits    [][]edit   // outAmbiguous: one rewrite of the part per option
	amountly bool       // has an amount or a failed amount: not chatter next to updates
	sc       lineScan
}

func parseMessage(text string, c *data.Campaign) (Parsed, error) {
	var names []data.NameOf
	if c != nil {
		names = c.CountyNames()
	}
	parts := splitParts(text, names)
	results, updates := classifyParts(text, parts, names)
	for k, r := range results {
		if r.kind == outError {
			return Parsed{}, &InputError{Line: parts[k].line, Msg: r.msg}
		}
	}
	for k, r := range results {
		if r.kind == outAmbiguous {
			a := *r.amb
			a.Line, a.part = parts[k].line, k
			orig := text[parts[k].start:parts[k].end]
			_, at := foldLineMap(orig)
			for _, e := range r.edits {
				a.Options = append(a.Options, text[:parts[k].start]+applyEdits(orig, at, e)+text[parts[k].end:])
			}
			return Parsed{}, &a
		}
	}
	if updates > MaxChanges {
		return Parsed{}, &InputError{Msg: fmt.Sprintf("一条消息最多%d项（这条有%d项），请分几条发送。", MaxChanges, updates)}
	}
	var out Parsed
	for _, r := range results {
		switch {
		case r.kind == outUpdate:
			out.Intent = Update
			out.Changes = append(out.Changes, r.change)
		case r.kind == outQuery && out.Intent == Chatter:
			out.Intent, out.County = Query, r.county
		}
	}
	if out.Intent == Update {
		out.County = ""
	}
	return out, nil
}

// classifyParts reads each part in turn, carrying the county of a header
// line or of the part before on the same line, and the list of names that
// goes on after a ；. It returns the results and the number of updates.
func classifyParts(text string, parts []msgPart, names []data.NameOf) ([]partResult, int) {
	results := make([]partResult, len(parts))
	header := ""     // county named alone on an earlier line
	lineCounty := "" // county of the previous part on this physical line
	prevLine := 0
	updates := 0
	naming := -1 // the update on this line whose names may go on after a ；
	for k, p := range parts {
		if p.line != prevLine {
			prevLine, lineCounty, naming = p.line, header, -1
		}
		norm := foldLine(text[p.start:p.end])
		r := classifyPart(norm, names)
		if r.kind == outChatter && !r.amountly && naming >= 0 {
			// 嵊州 辅导企业 +2 乙公司；丙公司: the list goes on, while names are missing.
			prev := &results[naming].change
			prev.Names = append(prev.Names, splitUnitNames(norm)...)
			prev.Line = strings.TrimSpace(text[parts[naming].start:p.end])
			results[k] = r
			continue
		}
		naming = -1
		switch r.kind {
		case outHeader:
			header, lineCounty = r.county, r.county
		case outUpdate:
			updates++
			r.change.Line = strings.TrimSpace(text[p.start:p.end])
			if n := len(r.change.Names); n > 0 && n < max(r.change.Amount, -r.change.Amount) {
				naming = k
			}
			if r.change.County == "" {
				r.change.County = lineCounty
			} else {
				lineCounty = r.change.County
			}
		case outAmbiguous:
			updates++
			if cs := r.sc.countyName(); cs != "" {
				lineCounty = cs
			}
		}
		results[k] = r
	}
	// Next to real updates, a part with an amount but no sense is a mistake,
	// not chatter: staff expect every line of an update to count.
	for k := range results {
		switch {
		case results[k].kind == outChatter && results[k].amountly && updates > 0:
			results[k] = checkUpdate(results[k], names)
		case results[k].kind == outUpdate:
			// Only now: the names may have gone on after a ；.
			results[k] = checkNames(results[k], names)
		}
	}
	return results, updates
}

// splitParts cuts the message into lines, each line at ；; and 。, and each of
// those at ， or , where the next piece is an update of its own
// (柯桥辅导+3，省级站+1) but not where it continues a list of names.
func splitParts(text string, names []data.NameOf) []msgPart {
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

func splitCommas(text string, start, end, line int, names []data.NameOf) []msgPart {
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
	// Trim, and drop what is blank.
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
	var b strings.Builder
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
		n := b.Len()
		b.WriteRune(r)
		for k := n; k < b.Len(); k++ {
			at = append(at, i)
		}
	}
	at = append(at, len(s))
	out := b.String()
	trimmed := strings.TrimLeft(out, " ")
	lead := len(out) - len(trimmed)
	trimmed = strings.TrimRightFunc(trimmed, func(r rune) bool {
		return r == ' ' || strings.ContainsRune("。!,.?~、;:…", r)
	})
	return trimmed, at[lead : lead+len(trimmed)+1]
}

// classifyPart reads one part.
func classifyPart(s string, names []data.NameOf) partResult {
	sc := scanLine(s, names)
	r := partResult{sc: sc}
	r.amountly = (sc.num != nil && sc.num.explicit) || sc.err != nil
	hasInd := len(sc.inds) > 0
	switch {
	case sc.query && sc.num == nil && sc.err == nil && sc.textRunes == 0:
		if len(sc.counties) > 1 {
			return partError(r, "一次只能查一个区县，例如：柯桥 进度")
		}
		r.kind, r.county = outQuery, sc.countyName()
		return r
	case sc.query && sc.num == nil:
		return r // 柯桥今天情况很好: talk, not a query
	case len(sc.counties) == 1 && !hasInd && sc.num == nil && sc.err == nil && sc.textRunes == 0:
		r.kind, r.county = outHeader, sc.counties[0]
		return r
	}
	meant := hasInd || (len(sc.counties) > 0 && r.amountly)
	if !meant {
		return r
	}
	// An indicator word in a sentence with no amount is talk about the work
	// (示范站的材料明天交, 今天去柯桥辅导了), not an update; a bare 柯桥 辅导企业,
	// with nothing else, is an update missing its number.
	if hasInd && sc.num == nil && sc.err == nil && sc.textRunes > 0 {
		return r
	}
	// Likewise a bare number inside a sentence (今年要完成辅导企业20家的任务)
	// is talk; asking about it would spam the group. A sign or keyword, or a
	// line of little else (我们辅导了3家), is meant for the bot.
	if hasInd && sc.num != nil && !sc.num.explicit && sc.err == nil && sc.textRunes > 2 {
		return r
	}
	return checkUpdate(r, names)
}

// checkUpdate turns a part meant as an update into a change, an error or a question.
func checkUpdate(r partResult, names []data.NameOf) partResult {
	sc := r.sc
	county := sc.countyName()
	ind, indName := sc.indicator()
	if ind.Valid() {
		indName = indicatorLabel(ind)
	}
	if len(sc.counties) > 1 {
		return partError(r, fmt.Sprintf("一行只能写一个区县（这里有%s）。请分行写，例如：%s", strings.Join(sc.counties, "、"), sampleLine(sc.counties[0], ind, "+3")))
	}
	if len(sc.inds) > 1 {
		var ns []string
		for _, x := range sc.inds {
			ns = append(ns, x.text)
		}
		return partError(r, fmt.Sprintf("一行只能写一项指标（这里有%s）。请分行写，或用“；”隔开，例如：%s；%s", strings.Join(ns, "、"), sampleLine(county, sc.inds[0].ind, "+1"), sampleLine(county, sc.inds[1].ind, "+1")))
	}
	if e := sc.err; e != nil {
		return partError(r, e.message(county, ind))
	}
	if sc.numCount > 1 {
		return partError(r, fmt.Sprintf("一行只能写一个数量。请这样写：%s（新增）或 %s（累计）", sampleLine(county, ind, "+3"), sampleLine(county, ind, "=12")))
	}
	if len(sc.inds) == 0 {
		return partError(r, fmt.Sprintf("没看出是哪项指标。请写 示范区、省级示范站、市县级示范站 或 辅导企业，例如：%s", sampleLine(county, -1, "+3")))
	}
	if sc.num == nil {
		return partError(r, fmt.Sprintf("没写数量。请这样写：%s（新增）或 %s（累计）", sampleLine(county, ind, "+3"), sampleLine(county, ind, "=12")))
	}
	if county == "" {
		if msg := strangePlace(sc, ind, names); msg != "" {
			return partError(r, msg)
		}
	}
	n := sc.num
	switch {
	case n.explicit && n.op == OpAdd && n.value == 0:
		return partError(r, fmt.Sprintf("新增0不用报。要把总数改成0，请写：%s", sampleLine(county, ind, "=0")))
	case !n.explicit && n.value == 0:
		return partError(r, fmt.Sprintf("数量0请写明是累计：%s", sampleLine(county, ind, "=0")))
	case n.value > MaxAmount:
		return partError(r, fmt.Sprintf("数量%d太大了（一次最多%d），请核对后重发，例如：%s", n.value, MaxAmount, sampleLine(county, ind, "+3")))
	}
	if sc.nested {
		return partError(r, fmt.Sprintf("一行只能写一条更新。请分行写，或用“；”隔开，例如：%s；%s", sampleLine(county, ind, "+1"), sampleLine(county, sc.nestedInd, "+1")))
	}
	if sc.station != nil || !n.explicit {
		r.kind = outAmbiguous
		r.amb, r.edits = askReading(sc, indName)
		return r
	}
	amount := n.value
	if n.neg {
		amount = -amount
	}
	r.kind = outUpdate
	r.change = Change{County: county, Indicator: ind, Op: n.op, Amount: amount, Names: namesFor(sc.names, amount)}
	return r
}

func partError(r partResult, msg string) partResult {
	r.kind, r.msg = outError, msg
	return r
}

// edit replaces s[at:end] of a folded part with text.
type edit struct {
	at, end int
	text    string
}

// askReading asks which reading a line has: the level of a bare 示范站, the
// meaning of a bare number, or both at once (so every option is final). Each
// option is a list of edits to the folded part, in order; parseMessage maps
// them back onto the user's own text.
func askReading(sc lineScan, indName string) (*Ambiguity, [][]edit) {
	type choice struct {
		label string
		e     []edit
	}
	levels, ops := []choice{{}}, []choice{{}}
	if st := sc.station; st != nil {
		levels = nil
		for _, ind := range []data.Indicator{data.ProvincialStation, data.CityStation} {
			levels = append(levels, choice{ind.Name(), []edit{{st.start, st.end, ind.Name()}}})
		}
	}
	n := sc.num
	if !n.explicit {
		ops = []choice{
			{fmt.Sprintf("新增%d", n.value), []edit{{n.start, n.start, "+"}}},
			{fmt.Sprintf("累计共%d", n.value), []edit{{n.start, n.start, "="}}},
		}
	}
	var q string
	switch {
	case sc.station != nil && !n.explicit:
		q = fmt.Sprintf("“%s”是省级还是市县级？“%s”是新增还是累计总数？", sc.station.text, n.text)
	case sc.station != nil:
		q = fmt.Sprintf("“%s”是省级示范站，还是市县级示范站？", sc.station.text)
	default:
		q = fmt.Sprintf("%s“%s”是新增%d，还是累计共%d？", indName, n.text, n.value, n.value)
	}
	a := &Ambiguity{Question: q}
	var edits [][]edit
	for _, lv := range levels {
		for _, op := range ops {
			e := append(append([]edit{}, lv.e...), op.e...)
			// The station and the number never overlap; apply them in order.
			if len(e) == 2 && e[1].at < e[0].at {
				e[0], e[1] = e[1], e[0]
			}
			edits = append(edits, e)
			a.Labels = append(a.Labels, strings.TrimSpace(lv.label+" "+op.label))
		}
	}
	return a, edits
}

// applyEdits rewrites orig, whose folded form maps back through at (see
// foldLineMap), with edits given in folded offsets.
func applyEdits(orig string, at []int, edits []edit) string {
	var b strings.Builder
	pos := 0
	for _, e := range edits {
		b.WriteString(orig[pos:at[e.at]])
		b.WriteString(e.text)
		pos = at[e.end]
	}
	b.WriteString(orig[pos:])
	return b.String()
}

// strangePlace reports leftover text that looks like a misspelt or foreign
// place (柯乔, 宁波市), and stays quiet on filler (我们, 今天), so that a
// county left out means "my own county", not an error.
func strangePlace(sc lineScan, ind data.Indicator, names []data.NameOf) string {
	var counties []string
	for _, nm := range names {
		if !slices.Contains(counties, nm.Canonical) {
			counties = append(counties, nm.Canonical)
		}
	}
	for _, chunk := range sc.text {
		rs := []rune(chunk)
		if len(rs) < 2 || len(rs) > 6 || !allHanRunes(rs) {
			continue
		}
		key := data.CountyKey(chunk)
		best, bestDist := "", 1<<30
		for _, co := range counties {
			if d := runeDistance(key, co); d < bestDist {
				best, bestDist = co, d
			}
		}
		if best != "" && bestDist <= 1 {
			return fmt.Sprintf("不认识区县“%s”，是指“%s”吗？请这样写：%s", chunk, best, sampleLine(best, ind, "+3"))
		}
		if last := rs[len(rs)-1]; len(rs) >= 3 && (last == '区' || last == '县' || last == '市') {
			return fmt.Sprintf("不认识区县“%s”。可写：%s，例如：%s", chunk, strings.Join(counties, "、"), sampleLine("", ind, "+3"))
		}
	}
	return ""
}

func allHanRunes(rs []rune) bool {
	for _, r := range rs {
		if !unicode.Is(unicode.Han, r) {
			return false
		}
	}
	return true
}

// runeDistance is the Levenshtein distance in runes.
func runeDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// sampleLine writes a line to copy: county (柯桥 if none), indicator (辅导企业 if
// ind < 0), amount.
func sampleLine(county string, ind data.Indicator, amount string) string {
	if county == "" {
		county = "柯桥"
	}
	name := "辅导企业"
	if ind.Valid() {
		name = indicatorLabel(ind)
	}
	return county + " " + name + " " + amount
}

// indicatorLabel is the name staff type most for each indicator.
func indicatorLabel(ind data.Indicator) string {
	if ind == data.Tutoring {
		return "辅导企业"
	}
	return ind.Name()
}

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
func checkNames(r partResult, names []data.NameOf) partResult {
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
func nameProblem(name string, ch Change, names []data.NameOf) string {
	sample := sampleLine(ch.County, ch.Indicator, "+1 "+sampleName(ch.Indicator))
	if hasMarkup(name) {
		return fmt.Sprintf("名称“%s”里有格式符号（< > & * ` 等）。请只写名称本身，例如：%s", name, sample)
	}
	if isAmountText(name, names) {
		return twoAmounts(name, ch.County, ch.Indicator)
	}
	sc := scanDepth(name, names, 1)
	if sc.textRunes == 0 {
		switch _, city := matchList(name, cityWords); {
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
func isAmountText(s string, names []data.NameOf) bool {
	sc := scanDepth(s, names, 1)
	amount := sc.num != nil || sc.err != nil && sc.err.kind != errNoNumber && sc.err.kind != errNonNumeric
	return amount && sc.textRunes == 0 && len(sc.inds) == 0 && len(sc.counties) == 0
}

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
	for _, f := range strings.FieldsFunc(s, func(r rune) bool {
		return (bySpace && r == ' ') || strings.ContainsRune("、,;:\"“”", r)
	}) {
		if f = strings.TrimSpace(strings.Trim(f, "《》【】")); f != "" {
			out = append(out, f)
		}
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

// ---- the scanner ----

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

type amountErrKind int

const (
	errNonNumeric amountErrKind = iota
	errDecimal
	errApprox
	errNegativeTotal
	errNoNumber
	errTwoAmounts // the text is the second amount
	errThousands  // 1,000: a thousands separator, or a number and a name?
)

type amountErr struct {
	kind amountErrKind
	text string
}

func (e *amountErr) message(county string, ind data.Indicator) string {
	add, set := sampleLine(county, ind, "+3"), sampleLine(county, ind, "=12")
	switch e.kind {
	case errDecimal:
		return fmt.Sprintf("数量“%s”要写整数。请这样写：%s（新增）或 %s（累计）", e.text, add, set)
	case errApprox:
		return fmt.Sprintf("数量“%s”不是确切的数。请写确切数字：%s（新增）或 %s（累计）", e.text, add, set)
	case errNegativeTotal:
		return fmt.Sprintf("累计数不能是负数（%s）。要减少请写：%s", e.text, sampleLine(county, ind, "-1"))
	case errNoNumber:
		return fmt.Sprintf("“%s”后面没写数量。请这样写：%s（新增）或 %s（累计）", e.text, add, set)
	case errTwoAmounts:
		return fmt.Sprintf("一行只能写一个数量，“%s”是第二个。请只写一个：%s（新增）或 %s（累计）", e.text, add, set)
	case errThousands:
		plain := strings.ReplaceAll(e.text, ",", "")
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, plain)
		return fmt.Sprintf("数量“%s”里的逗号看不懂。如果是%s，请不加逗号写：%s", e.text, digits, sampleLine(county, ind, plain))
	}
	return fmt.Sprintf("没看懂数量“%s”。请写数字：%s（新增）或 %s（累计）", e.text, add, set)
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

// Word lists. Each is matched longest first (see matchList).
var (
	cityWords  = []string{"绍兴市", "绍兴", "全市", "全绍兴"}
	queryWords = []string{"进度", "查询", "查看", "查", "状态", "完成情况", "情况", "怎么样", "怎样", "如何", "多少", "几家", "几个",
		"还差多少", "还差几家", "还差几个", "差多少", "差几家", "差几个", "还缺多少", "还缺几家", "还缺几个"}
	fillerWords  = []string{"了", "又", "再", "已", "已经", "今天", "今日", "本周", "本月", "目前", "现在", "局", "分局", "吗", "呢", "啊", "呀", "的", "一下"}
	measureWords = "家个处座所户项"
	hanDigits    = "零〇一二两三四五六七八九十百千万"
)

type opWord struct {
	text string
	op   Op
	neg  bool
}

var opWords = []opWord{
	{"新增加", OpAdd, false}, {"新增", OpAdd, false}, {"增加", OpAdd, false}, {"新添", OpAdd, false},
	{"新培育", OpAdd, false}, {"增", OpAdd, false}, {"加", OpAdd, false}, {"多", OpAdd, false},
	{"减少", OpAdd, true}, {"减去", OpAdd, true}, {"减", OpAdd, true}, {"少", OpAdd, true},
	{"一共", OpSet, false}, {"总共", OpSet, false}, {"共计", OpSet, false}, {"共", OpSet, false},
	{"合计", OpSet, false}, {"累计", OpSet, false}, {"总计", OpSet, false}, {"总数", OpSet, false},
	{"达到", OpSet, false}, {"已达", OpSet, false}, {"达", OpSet, false}, {"现有", OpSet, false},
	{"已有", OpSet, false}, {"改为", OpSet, false}, {"改成", OpSet, false}, {"更正为", OpSet, false},
	{"调整为", OpSet, false}, {"完成", OpSet, false},
}

// weakOpWords say "total" only on a line of nothing else: 辅导企业 已完成25家
// is a total, 今年要完成辅导企业20家的任务 is talk (see scanDepth).
var weakOpWords = []string{"完成"}

// indicatorSpellings lists every spelling of the indicators, longest first.
var indicatorSpellings = buildIndicatorNames()

type indName struct {
	text    string
	ind     data.Indicator
	station bool
	first   rune // the first character, to skip most names at a glance
}

func buildIndicatorNames() []indName {
	var out []indName
	add := func(ind data.Indicator, station bool, names ...string) {
		for _, n := range names {
			first, _ := utf8.DecodeRuneInString(n)
			out = append(out, indName{n, ind, station, first})
		}
	}
	stations := []string{"示范站(点)", "示范站点", "示范站", "示范点"}
	for _, mid := range []string{"", "商业秘密保护"} {
		add(data.Zone, false, "省级"+mid+"示范区", "省"+mid+"示范区", mid+"示范区")
		for _, st := range stations {
			add(data.ProvincialStation, false, "省级"+mid+st, "省"+mid+st)
			for _, lv := range []string{"市县级", "市、县级", "市/县级", "市级", "县级", "市县"} {
				add(data.CityStation, false, lv+mid+st)
			}
			if mid != "" {
				add(0, true, mid+st)
			} else {
				add(0, true, st)
			}
		}
	}
	add(data.ProvincialStation, false, "省级站点", "省级站", "省站")
	add(data.CityStation, false, "市县级站点", "市县级站", "市级站", "县级站", "市县站", "市县级")
	add(data.Tutoring, false, "企业商业秘密保护专项辅导", "商业秘密保护专项辅导", "企业专项辅导", "专项辅导企业",
		"专项辅导", "辅导服务企业", "辅导服务", "辅导企业", "企业辅导", "辅导")
	// longest first, stable
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && utf8.RuneCountInString(out[j].text) > utf8.RuneCountInString(out[j-1].text); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// matchIndicator matches an indicator at the start of s, letting spaces sit
// between its characters (省级 示范站, 辅导 企业).
func matchIndicator(s string) (indName, int) {
	first, _ := utf8.DecodeRuneInString(s)
	for _, n := range indicatorSpellings {
		if n.first != first {
			continue
		}
		if k := matchLoose(s, n.text); k > 0 {
			return n, k
		}
	}
	return indName{}, 0
}

func matchLoose(s, pat string) int {
	i := 0
	first := true
	for _, pr := range pat {
		if !first {
			for i < len(s) && s[i] == ' ' {
				i++
			}
		}
		first = false
		r, w := utf8.DecodeRuneInString(s[i:])
		if w == 0 || r != pr {
			return 0
		}
		i += w
	}
	return i
}

func matchList(s string, list []string) (string, int) {
	best := ""
	for _, w := range list {
		if len(w) > len(best) && strings.HasPrefix(s, w) {
			best = w
		}
	}
	return best, len(best)
}

// matchPlace matches a county (or the city) at the start of s. A spelling
// ending in 市/县/区 gives that character back when it starts an indicator:
// 诸暨市级示范站 is 诸暨 + 市级示范站.
func matchPlace(s string, names []data.NameOf) (canonical string, n int) {
	for _, nm := range names {
		if strings.HasPrefix(s, nm.Spelling) {
			return nm.Canonical, giveBack(s, len(nm.Spelling))
		}
	}
	return "", 0
}

func giveBack(s string, n int) int {
	last, w := utf8.DecodeLastRuneInString(s[:n])
	if (last == '市' || last == '县' || last == '区') && n > w {
		if _, k := matchIndicator(s[n-w:]); k > 0 {
			return n - w
		}
	}
	return n
}

func isLineSep(r rune) bool {
	return r == ' ' || strings.ContainsRune(":,、()[]【】《》\"'“”‘’·~!?.", r)
}

// scanLine scans one normalized part.
func scanLine(s string, names []data.NameOf) lineScan {
	return scanDepth(s, names, 0)
}

func scanDepth(s string, names []data.NameOf, depth int) lineScan {
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
	names    []data.NameOf
	i        int // byte offset of the next token
	sc       lineScan
	chunk    strings.Builder // leftover text not yet flushed into sc.text
	boundary bool            // s[i] starts a word
	pend     *pendingOp      // a sign or keyword waiting for its number
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
	if _, n := matchList(s[i:], cityWords); n > 0 {
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
	if _, n := matchList(s[i:], queryWords); n > 0 && z.pend == nil {
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
	if _, n := matchList(s[i:], fillerWords); n > 0 && z.pend == nil {
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
func (sc *lineScan) readNames(names []data.NameOf, depth int) {
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

// totalMarks, after a number, make it a total: 25 累计, 25家（共）.
var totalMarks = []string{"累计", "合计", "总计", "共计", "一共", "总共", "总数", "共"}

// readTotalMark reads a total mark at the start of the names: it makes a
// bare number a total, agrees with a total, and contradicts a change (+3 累计).
func (sc *lineScan) readTotalMark() {
	rest := sc.names
	open := strings.HasPrefix(rest, "(")
	if open {
		rest = strings.TrimLeft(rest[1:], " ")
	}
	mark, n := matchList(rest, totalMarks)
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

func matchOpWord(s string) (opWord, int) {
	best := opWord{}
	for _, w := range opWords {
		if len(w.text) > len(best.text) && strings.HasPrefix(s, w.text) {
			best = w
		}
	}
	return best, len(best.text)
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

func isASCIIAlnum(b byte) bool {
	return b >= '0' && b <= '9' || isASCIILetter(b)
}

func isASCIILetter(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
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
func scanNumber(s string, i int, names []data.NameOf) (numScan, bool) {
	var n numScan
	j := i
	han := false
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
			return n, false
		}
		v, ok := hanValue(s[j:k])
		if !ok {
			return n, false
		}
		n.value, j, han = v, k, true
	}
	n.digitsEnd = j
	if n.readSuffix(s, han) {
		return n, true
	}
	// measure word, maybe after a space: 3 家
	k := j
	for k < len(s) && s[k] == ' ' {
		k++
	}
	if r, w := utf8.DecodeRuneInString(s[k:]); strings.ContainsRune(measureWords, r) && r != utf8.RuneError {
		j = k + w
		if strings.HasPrefix(s[j:], "左右") {
			n.approx, n.end = true, j+len("左右")
			return n, true
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
					return n, false
				}
			}
		}
	}
	n.end = j
	return n, true
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

// hanValue reads 三, 十五, 二十五, 一百零五, 两千, 一〇〇. It reports false for
// forms that are not numbers (十十).
func hanValue(s string) (int, bool) {
	digit := func(r rune) int {
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
	rs := []rune(s)
	if len(rs) > 12 {
		return MaxAmount * 10000, true // absurdly long: let the range check say so
	}
	hasUnit := strings.ContainsAny(s, "十百千万")
	if !hasUnit {
		// 一〇〇: digit by digit
		v := 0
		for _, r := range rs {
			v = v*10 + digit(r)
		}
		return v, true
	}
	total, section, d := 0, 0, -1
	lastUnit := 100000
	for _, r := range rs {
		if x := digit(r); x >= 0 {
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

func isControlRune(r rune) bool {
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
