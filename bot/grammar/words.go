package grammar

import (
	"slices"
	"strings"
	"unicode/utf8"

	"tsbot/data"
)

// Word lists. Each is matched longest first (see words.match).
var (
	cityWords  = wordsOf("绍兴市", "绍兴", "全市", "全绍兴")
	queryWords = wordsOf("进度", "查询", "查看", "查", "状态", "完成情况", "情况", "怎么样", "怎样", "如何", "多少", "几家", "几个",
		"还差多少", "还差几家", "还差几个", "差多少", "差几家", "差几个", "还缺多少", "还缺几家", "还缺几个")
	fillerWords  = wordsOf("了", "又", "再", "已", "已经", "今天", "今日", "本周", "本月", "目前", "现在", "局", "分局", "吗", "呢", "啊", "呀", "的", "一下")
	measureWords = "家个处座所户项"
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

// indicatorSpellings lists every spelling of the indicators, longest first,
// by their first character.
var indicatorSpellings = byFirst(buildIndicatorNames(), func(n indName) string { return n.text })

// opWordsByFirst are opWords by their first character, longest first.
var opWordsByFirst = byFirst(opWords, func(w opWord) string { return w.text })

// byFirst groups a list of words by their first character, each group
// longest first (in list order among equals): a match at a text's start
// looks only at the words that can begin it, at every character of a
// message, whatever the lists' length.
func byFirst[T any](list []T, text func(T) string) map[rune][]T {
	out := map[rune][]T{}
	for _, w := range list {
		r, _ := utf8.DecodeRuneInString(text(w))
		out[r] = append(out[r], w)
	}
	for _, g := range out {
		slices.SortStableFunc(g, func(a, b T) int { return len(text(b)) - len(text(a)) })
	}
	return out
}

// words is a list of words to find at the start of a text (wordsOf).
type words map[rune][]string

func wordsOf(list ...string) words {
	return byFirst(list, func(w string) string { return w })
}

// match is the longest of the words at the start of s, and its length.
func (ws words) match(s string) (string, int) {
	r, _ := utf8.DecodeRuneInString(s)
	for _, w := range ws[r] {
		if strings.HasPrefix(s, w) {
			return w, len(w)
		}
	}
	return "", 0
}

type indName struct {
	text    string
	ind     data.Indicator
	station bool
}

func buildIndicatorNames() []indName {
	var out []indName
	add := func(ind data.Indicator, station bool, names ...string) {
		for _, n := range names {
			out = append(out, indName{n, ind, station})
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
	for _, n := range indicatorSpellings[first] {
		if k := matchLoose(s, n.text); k > 0 {
			return n, k
		}
	}
	return indName{}, 0
}

// LookupIndicator reads the whole of s as the name of an indicator (辅导企业,
// 省级示范站 …), as /list takes it. station reports a 示范站 of no stated
// level, which is neither indicator: ind is then meaningless.
func LookupIndicator(s string) (ind data.Indicator, station, ok bool) {
	n, k := matchIndicator(s)
	if k == 0 || k != len(s) {
		return 0, false, false
	}
	return n.ind, n.station, true
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

// matchPlace matches a county (or the city) at the start of s. A spelling
// ending in 市/县/区 gives that character back when it starts an indicator:
// 诸暨市级示范站 is 诸暨 + 市级示范站.
func matchPlace(s string, names *data.Places) (canonical string, n int) {
	if canonical, n := names.Match(s); n > 0 {
		return canonical, giveBack(s, n)
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

// totalMarks, after a number, make it a total: 25 累计, 25家（共）.
var totalMarks = wordsOf("累计", "合计", "总计", "共计", "一共", "总共", "总数", "共")

func matchOpWord(s string) (opWord, int) {
	r, _ := utf8.DecodeRuneInString(s)
	for _, w := range opWordsByFirst[r] {
		if strings.HasPrefix(s, w.text) {
			return w, len(w.text)
		}
	}
	return opWord{}, 0
}
