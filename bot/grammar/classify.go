package grammar

import (
	"fmt"
	"strings"

	"tsbot/data"
)

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

// classifyParts reads each part in turn, carrying the county of a header
// line or of the part before on the same line, and the list of names that
// goes on after a ；. It returns the results and the number of updates.
func classifyParts(text string, parts []msgPart, names *data.Places) ([]partResult, int) {
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

// classifyPart reads one part.
func classifyPart(s string, names *data.Places) partResult {
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
func checkUpdate(r partResult, names *data.Places) partResult {
	sc := r.sc
	county := sc.countyName()
	ind, indName := sc.indicator()
	if ind.Valid() {
		indName = IndicatorLabel(ind)
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

// strangePlace reports leftover text that looks like a misspelt or foreign
// place (柯乔, 宁波市), and stays quiet on filler (我们, 今天), so that a
// county left out means "my own county", not an error.
func strangePlace(sc lineScan, ind data.Indicator, names *data.Places) string {
	counties := names.Counties()
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
