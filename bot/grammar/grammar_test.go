package grammar

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"tsbot/data"
)

func grammarCampaign(t testing.TB) *data.Campaign {
	t.Helper()
	c, err := data.DefaultConfig().BuildCampaign()
	if err != nil {
		t.Fatal(err)
	}
	return &c
}

// Shorthands for the table.
const (
	indZone = data.Zone
	indProv = data.ProvincialStation
	indCity = data.CityStation
	indTut  = data.Tutoring
)

func wantAdd(county string, ind data.Indicator, n int, names ...string) Change {
	return Change{County: county, Indicator: ind, Op: OpAdd, Amount: n, Names: names}
}

func wantSet(county string, ind data.Indicator, n int, names ...string) Change {
	return Change{County: county, Indicator: ind, Op: OpSet, Amount: n, Names: names}
}

func withLine(c Change, line string) Change { c.Line = line; return c }

func wantUpdates(cs ...Change) *Parsed { return &Parsed{Intent: Update, Changes: cs} }

func wantQuery(county string) *Parsed { return &Parsed{Intent: Query, County: county} }

var wantChatter = &Parsed{Intent: Chatter}

type grammarCase struct {
	name string
	in   string
	want *Parsed // nil: an error is expected
	// for errors
	inputErr string   // *InputError whose Msg contains this
	ambig    []string // *Ambiguity with exactly these options
	labels   []string // and, if wantSet, these labels
	line     int      // the error's line (default 1)
	whole    bool     // the error is about the whole message: line 0
}

var grammarCases = []grammarCase{
	// --- the basic form, spaces and width ---
	{name: "brief example", in: "柯桥 辅导企业 +3", want: wantUpdates(wantAdd("柯桥", indTut, 3))},
	{name: "no spaces", in: "柯桥辅导企业+2", want: wantUpdates(wantAdd("柯桥", indTut, 2))},
	{name: "full-width sign and digit", in: "柯桥 辅导企业 ＋３", want: wantUpdates(wantAdd("柯桥", indTut, 3))},
	{name: "full-width spaces", in: "柯桥　辅导企业　＋３", want: wantUpdates(wantAdd("柯桥", indTut, 3))},
	{name: "sign space number", in: "柯桥 辅导企业 + 3", want: wantUpdates(wantAdd("柯桥", indTut, 3))},
	{name: "leading and trailing space", in: "  柯桥 辅导企业 +3  ", want: wantUpdates(wantAdd("柯桥", indTut, 3))},
	{name: "tab", in: "柯桥\t辅导企业\t+3", want: wantUpdates(wantAdd("柯桥", indTut, 3))},
	{name: "indicator first", in: "辅导企业 柯桥 +3", want: wantUpdates(wantAdd("柯桥", indTut, 3))},
	{name: "indicator first no spaces", in: "辅导企业柯桥+3", want: wantUpdates(wantAdd("柯桥", indTut, 3))},
	{name: "county after amount", in: "辅导企业+3 柯桥", want: wantUpdates(wantAdd("柯桥", indTut, 3))},
	{name: "no county", in: "辅导企业 +3", want: wantUpdates(wantAdd("", indTut, 3))},
	{name: "filler is not a county", in: "我们辅导企业+3", want: wantUpdates(wantAdd("", indTut, 3))},
	{name: "zero-width space pasted", in: "柯桥\u200b辅导企业+3", want: wantUpdates(wantAdd("柯桥", indTut, 3))},
	{name: "mention of the bot", in: "@tsbot 柯桥 辅导+1", want: wantUpdates(wantAdd("柯桥", indTut, 1))},

	// --- county spellings ---
	{name: "county with 区", in: "柯桥区 辅导企业 +1", want: wantUpdates(wantAdd("柯桥", indTut, 1))},
	{name: "city and county prefix", in: "绍兴市柯桥区辅导企业+1", want: wantUpdates(wantAdd("柯桥", indTut, 1))},
	{name: "绍兴 prefix spaced", in: "绍兴 越城 辅导企业 +1", want: wantUpdates(wantAdd("越城", indTut, 1))},
	{name: "越城区", in: "越城区 示范区 +1", want: wantUpdates(wantAdd("越城", indZone, 1))},
	{name: "诸暨市", in: "诸暨市 辅导企业 +4", want: wantUpdates(wantAdd("诸暨", indTut, 4))},
	{name: "新昌县", in: "新昌县辅导企业+1", want: wantUpdates(wantAdd("新昌", indTut, 1))},
	{name: "上虞区", in: "上虞区 省级站 +1", want: wantUpdates(wantAdd("上虞", indProv, 1))},
	{name: "嵊州", in: "嵊州 市县站 +2", want: wantUpdates(wantAdd("嵊州", indCity, 2))},
	{name: "诸暨市 then 市级 station", in: "诸暨市级示范站+1", want: wantUpdates(wantAdd("诸暨", indCity, 1))},
	{name: "新昌县 then 县级 station", in: "新昌县级示范站 =2", want: wantUpdates(wantSet("新昌", indCity, 2))},
	{name: "绍兴市 then 市级 station", in: "绍兴市级示范站+1", want: wantUpdates(wantAdd("", indCity, 1))},
	{name: "same county twice", in: "柯桥区 柯桥 辅导企业 +1", want: wantUpdates(wantAdd("柯桥", indTut, 1))},

	// --- colons and trailing punctuation ---
	{name: "colon after county", in: "柯桥：辅导企业+3", want: wantUpdates(wantAdd("柯桥", indTut, 3))},
	{name: "colon after indicator", in: "柯桥 辅导企业: +3", want: wantUpdates(wantAdd("柯桥", indTut, 3))},
	{name: "full-width colon after indicator", in: "柯桥辅导企业：+3", want: wantUpdates(wantAdd("柯桥", indTut, 3))},
	{name: "trailing 。", in: "柯桥 辅导企业 +3。", want: wantUpdates(withLine(wantAdd("柯桥", indTut, 3), "柯桥 辅导企业 +3"))},
	{name: "trailing ！", in: "柯桥 辅导企业 +3！", want: wantUpdates(wantAdd("柯桥", indTut, 3))},
	{name: "trailing !", in: "柯桥 辅导企业 +3!", want: wantUpdates(wantAdd("柯桥", indTut, 3))},
	{name: "trailing ，", in: "柯桥 辅导企业 +3，", want: wantUpdates(wantAdd("柯桥", indTut, 3))},
	{name: "trailing ,", in: "柯桥 辅导企业 +3,", want: wantUpdates(wantAdd("柯桥", indTut, 3))},

	// --- indicator names ---
	{name: "示范区", in: "越城 示范区 +1", want: wantUpdates(wantAdd("越城", indZone, 1))},
	{name: "省级示范区", in: "越城 省级示范区 =1", want: wantUpdates(wantSet("越城", indZone, 1))},
	{name: "long zone", in: "越城 省级商业秘密保护示范区 +1", want: wantUpdates(wantAdd("越城", indZone, 1))},
	{name: "省级示范站", in: "柯桥 省级示范站 +1", want: wantUpdates(wantAdd("柯桥", indProv, 1))},
	{name: "省级示范点", in: "柯桥 省级示范点 +1", want: wantUpdates(wantAdd("柯桥", indProv, 1))},
	{name: "省级示范站点", in: "柯桥 省级示范站点 +1", want: wantUpdates(wantAdd("柯桥", indProv, 1))},
	{name: "省级示范站(点)", in: "柯桥 省级示范站(点) +1", want: wantUpdates(wantAdd("柯桥", indProv, 1))},
	{name: "省级示范站（点） full-width", in: "柯桥 省级示范站（点） +1", want: wantUpdates(wantAdd("柯桥", indProv, 1))},
	{name: "省级站", in: "柯桥 省级站 +1", want: wantUpdates(wantAdd("柯桥", indProv, 1))},
	{name: "省站", in: "柯桥省站+1", want: wantUpdates(wantAdd("柯桥", indProv, 1))},
	{name: "long provincial", in: "柯桥 省级商业秘密保护示范站(点) +1", want: wantUpdates(wantAdd("柯桥", indProv, 1))},
	{name: "spaced level", in: "柯桥 省级 示范站 +1", want: wantUpdates(wantAdd("柯桥", indProv, 1))},
	{name: "市县级示范站", in: "上虞 市县级示范站 +2", want: wantUpdates(wantAdd("上虞", indCity, 2))},
	{name: "市、县级示范站(点)", in: "上虞 市、县级示范站(点) +2", want: wantUpdates(wantAdd("上虞", indCity, 2))},
	{name: "市、县级示范站（点） full-width", in: "上虞 市、县级示范站（点） +2", want: wantUpdates(wantAdd("上虞", indCity, 2))},
	{name: "市级示范站", in: "上虞 市级示范站 +2", want: wantUpdates(wantAdd("上虞", indCity, 2))},
	{name: "县级示范站", in: "上虞 县级示范站 +2", want: wantUpdates(wantAdd("上虞", indCity, 2))},
	{name: "市县级站", in: "上虞 市县级站 +2", want: wantUpdates(wantAdd("上虞", indCity, 2))},
	{name: "市级站", in: "上虞 市级站 +2", want: wantUpdates(wantAdd("上虞", indCity, 2))},
	{name: "县级站", in: "上虞 县级站 +2", want: wantUpdates(wantAdd("上虞", indCity, 2))},
	{name: "市县站", in: "上虞 市县站 +2", want: wantUpdates(wantAdd("上虞", indCity, 2))},
	{name: "市级示范点", in: "上虞 市级示范点 +2", want: wantUpdates(wantAdd("上虞", indCity, 2))},
	{name: "县级示范点", in: "上虞 县级示范点 +2", want: wantUpdates(wantAdd("上虞", indCity, 2))},
	{name: "long city", in: "上虞 市、县级商业秘密保护示范站(点) +2", want: wantUpdates(wantAdd("上虞", indCity, 2))},
	{name: "辅导企业", in: "诸暨 辅导企业 +1", want: wantUpdates(wantAdd("诸暨", indTut, 1))},
	{name: "企业辅导", in: "诸暨 企业辅导 +1", want: wantUpdates(wantAdd("诸暨", indTut, 1))},
	{name: "专项辅导", in: "诸暨 专项辅导 +1", want: wantUpdates(wantAdd("诸暨", indTut, 1))},
	{name: "企业专项辅导", in: "诸暨 企业专项辅导 +1", want: wantUpdates(wantAdd("诸暨", indTut, 1))},
	{name: "辅导", in: "诸暨 辅导 +1", want: wantUpdates(wantAdd("诸暨", indTut, 1))},
	{name: "辅导服务企业", in: "诸暨 辅导服务企业 +1", want: wantUpdates(wantAdd("诸暨", indTut, 1))},
	{name: "long tutoring", in: "诸暨 企业商业秘密保护专项辅导 +1", want: wantUpdates(wantAdd("诸暨", indTut, 1))},
	{name: "专项辅导企业", in: "诸暨 专项辅导企业 +1", want: wantUpdates(wantAdd("诸暨", indTut, 1))},

	// --- amounts ---
	{name: "加", in: "柯桥 辅导企业 加3", want: wantUpdates(wantAdd("柯桥", indTut, 3))},
	{name: "增加", in: "柯桥 辅导企业 增加3", want: wantUpdates(wantAdd("柯桥", indTut, 3))},
	{name: "新增 with measure", in: "柯桥 辅导企业 新增3家", want: wantUpdates(wantAdd("柯桥", indTut, 3))},
	{name: "新增了", in: "柯桥辅导企业新增了3家", want: wantUpdates(wantAdd("柯桥", indTut, 3))},
	{name: "多了", in: "柯桥辅导企业多了3个", want: wantUpdates(wantAdd("柯桥", indTut, 3))},
	{name: "keyword before indicator", in: "柯桥新增3家辅导企业", want: wantUpdates(wantAdd("柯桥", indTut, 3))},
	{name: "keyword, indicator, number", in: "柯桥新增辅导企业3家", want: wantUpdates(wantAdd("柯桥", indTut, 3))},
	{name: "3家企业 is the noun", in: "柯桥辅导新增3家企业", want: wantUpdates(wantAdd("柯桥", indTut, 3))},
	{name: "minus", in: "柯桥 辅导企业 -1", want: wantUpdates(wantAdd("柯桥", indTut, -1))},
	{name: "full-width minus", in: "柯桥 辅导企业 －1", want: wantUpdates(wantAdd("柯桥", indTut, -1))},
	{name: "减", in: "柯桥 辅导企业 减1", want: wantUpdates(wantAdd("柯桥", indTut, -1))},
	{name: "减少", in: "柯桥 辅导企业 减少1", want: wantUpdates(wantAdd("柯桥", indTut, -1))},
	{name: "少", in: "柯桥 辅导企业 少1", want: wantUpdates(wantAdd("柯桥", indTut, -1))},
	{name: "equals", in: "柯桥 辅导企业 =12", want: wantUpdates(wantSet("柯桥", indTut, 12))},
	{name: "full-width equals", in: "柯桥 辅导企业 ＝12", want: wantUpdates(wantSet("柯桥", indTut, 12))},
	{name: "共", in: "柯桥 辅导企业 共12", want: wantUpdates(wantSet("柯桥", indTut, 12))},
	{name: "一共", in: "柯桥 辅导企业 一共12", want: wantUpdates(wantSet("柯桥", indTut, 12))},
	{name: "一共有", in: "柯桥辅导企业一共有12家", want: wantUpdates(wantSet("柯桥", indTut, 12))},
	{name: "总共", in: "柯桥 辅导企业 总共12", want: wantUpdates(wantSet("柯桥", indTut, 12))},
	{name: "合计", in: "柯桥 辅导企业 合计12", want: wantUpdates(wantSet("柯桥", indTut, 12))},
	{name: "累计家", in: "柯桥 辅导企业 累计12家", want: wantUpdates(wantSet("柯桥", indTut, 12))},
	{name: "累计达到", in: "柯桥辅导企业累计达到12家", want: wantUpdates(wantSet("柯桥", indTut, 12))},
	{name: "现有", in: "柯桥 辅导企业 现有12", want: wantUpdates(wantSet("柯桥", indTut, 12))},
	{name: "达到", in: "柯桥 辅导企业 达到12", want: wantUpdates(wantSet("柯桥", indTut, 12))},
	{name: "keyword then indicator", in: "上虞 增加辅导企业2家", want: wantUpdates(wantAdd("上虞", indTut, 2))},
	{name: "full-width digit after 加", in: "柯桥辅导企业加２家", want: wantUpdates(wantAdd("柯桥", indTut, 2))},
	{name: "改为 corrects a total", in: "柯桥 辅导企业 改为11", want: wantUpdates(wantSet("柯桥", indTut, 11))},
	{name: "set zero", in: "柯桥 辅导企业 =0", want: wantUpdates(wantSet("柯桥", indTut, 0))},
	{name: "1000 is allowed", in: "柯桥 辅导企业 =1000", want: wantUpdates(wantSet("柯桥", indTut, 1000))},
	{name: "measure with space", in: "柯桥 辅导企业 +3 家", want: wantUpdates(wantAdd("柯桥", indTut, 3))},
	{name: "measure 处", in: "柯桥 市级站 +2处", want: wantUpdates(wantAdd("柯桥", indCity, 2))},
	{name: "measure 座", in: "越城 示范区 +1座", want: wantUpdates(wantAdd("越城", indZone, 1))},

	// --- Chinese numerals ---
	{name: "新增三家", in: "柯桥辅导企业新增三家", want: wantUpdates(wantAdd("柯桥", indTut, 3))},
	{name: "两", in: "柯桥 辅导企业 +两家", want: wantUpdates(wantAdd("柯桥", indTut, 2))},
	{name: "十", in: "柯桥 辅导企业 +十", want: wantUpdates(wantAdd("柯桥", indTut, 10))},
	{name: "十五", in: "柯桥辅导企业现有十五家", want: wantUpdates(wantSet("柯桥", indTut, 15))},
	{name: "二十", in: "柯桥 辅导企业 累计二十家", want: wantUpdates(wantSet("柯桥", indTut, 20))},
	{name: "二十五", in: "柯桥 辅导企业 =二十五", want: wantUpdates(wantSet("柯桥", indTut, 25))},
	{name: "一百", in: "柯桥 辅导企业 =一百", want: wantUpdates(wantSet("柯桥", indTut, 100))},
	{name: "一百零五", in: "柯桥 辅导企业 =一百零五", want: wantUpdates(wantSet("柯桥", indTut, 105))},
	{name: "零 total", in: "柯桥 辅导企业 =零", want: wantUpdates(wantSet("柯桥", indTut, 0))},
	{name: "〇 total", in: "柯桥 辅导企业 =〇", want: wantUpdates(wantSet("柯桥", indTut, 0))},
	{name: "减一个", in: "柯桥 省级站 减一个", want: wantUpdates(wantAdd("柯桥", indProv, -1))},
	{name: "九", in: "嵊州 市县级示范站 +九个", want: wantUpdates(wantAdd("嵊州", indCity, 9))},

	// --- names ---
	{name: "names with 、", in: "嵊州 辅导企业 +2 乙领带有限公司、丙厨具有限公司",
		want: wantUpdates(wantAdd("嵊州", indTut, 2, "乙领带有限公司", "丙厨具有限公司"))},
	{name: "names with ，", in: "嵊州 辅导企业 +2 乙领带有限公司，丙厨具有限公司",
		want: wantUpdates(wantAdd("嵊州", indTut, 2, "乙领带有限公司", "丙厨具有限公司"))},
	{name: "names with spaces", in: "嵊州 辅导企业 +2 乙领带有限公司 丙厨具有限公司",
		want: wantUpdates(wantAdd("嵊州", indTut, 2, "乙领带有限公司", "丙厨具有限公司"))},
	{name: "name after colon", in: "柯桥 辅导企业 +1：甲纺织有限公司", want: wantUpdates(wantAdd("柯桥", indTut, 1, "甲纺织有限公司"))},
	{name: "name holding a county", in: "嵊州 辅导企业 +1 嵊州乙领带有限公司", want: wantUpdates(wantAdd("嵊州", indTut, 1, "嵊州乙领带有限公司"))},
	{name: "names in full-width brackets", in: "柯桥 辅导企业 +2（甲公司、乙公司）", want: wantUpdates(wantAdd("柯桥", indTut, 2, "甲公司", "乙公司"))},
	{name: "brackets inside a name stay", in: "柯桥 辅导企业 +1 绍兴某某（集团）有限公司", want: wantUpdates(wantAdd("柯桥", indTut, 1, "绍兴某某(集团)有限公司"))},
	{name: "names full-width letters folded", in: "柯桥 辅导企业 +1 ＡＢＣ科技", want: wantUpdates(wantAdd("柯桥", indTut, 1, "ABC科技"))},
	{name: "name of a station", in: "柯桥 省级示范站 +1 柯桥区纺织商业秘密保护示范站", want: wantUpdates(wantAdd("柯桥", indProv, 1, "柯桥区纺织商业秘密保护示范站"))},

	// --- several wantUpdates ---
	{name: "two lines", in: "柯桥 辅导企业 +3\n诸暨 省级站 =1",
		want: wantUpdates(withLine(wantAdd("柯桥", indTut, 3), "柯桥 辅导企业 +3"), withLine(wantSet("诸暨", indProv, 1), "诸暨 省级站 =1"))},
	{name: "CRLF and blank line", in: "柯桥 辅导企业 +3\r\n\r\n诸暨 省级站 =1\r\n",
		want: wantUpdates(withLine(wantAdd("柯桥", indTut, 3), "柯桥 辅导企业 +3"), withLine(wantSet("诸暨", indProv, 1), "诸暨 省级站 =1"))},
	{name: "split by ；", in: "柯桥辅导+3；诸暨辅导+2",
		want: wantUpdates(withLine(wantAdd("柯桥", indTut, 3), "柯桥辅导+3"), withLine(wantAdd("诸暨", indTut, 2), "诸暨辅导+2"))},
	{name: "split by ;", in: "柯桥辅导+3;诸暨辅导+2",
		want: wantUpdates(withLine(wantAdd("柯桥", indTut, 3), "柯桥辅导+3"), withLine(wantAdd("诸暨", indTut, 2), "诸暨辅导+2"))},
	{name: "split by 。", in: "柯桥辅导+3。诸暨辅导+2。",
		want: wantUpdates(withLine(wantAdd("柯桥", indTut, 3), "柯桥辅导+3"), withLine(wantAdd("诸暨", indTut, 2), "诸暨辅导+2"))},
	{name: "split by ， keeps the county", in: "柯桥辅导+3，省级站+1",
		want: wantUpdates(withLine(wantAdd("柯桥", indTut, 3), "柯桥辅导+3"), withLine(wantAdd("柯桥", indProv, 1), "省级站+1"))},
	{name: "county header line", in: "柯桥：\n辅导企业+3\n省级示范站+1",
		want: wantUpdates(withLine(wantAdd("柯桥", indTut, 3), "辅导企业+3"), withLine(wantAdd("柯桥", indProv, 1), "省级示范站+1"))},
	{name: "greeting around updates", in: "各位好\n柯桥 辅导企业 +3\n谢谢",
		want: wantUpdates(withLine(wantAdd("柯桥", indTut, 3), "柯桥 辅导企业 +3"))},
	{name: "split by ， with measure words", in: "柯桥辅导企业+3家，省级示范站+1个",
		want: wantUpdates(withLine(wantAdd("柯桥", indTut, 3), "柯桥辅导企业+3家"), withLine(wantAdd("柯桥", indProv, 1), "省级示范站+1个"))},
	{name: "names in brackets then next update", in: "柯桥：辅导企业 +3（甲公司、乙公司）；省级站 +1",
		want: wantUpdates(withLine(wantAdd("柯桥", indTut, 3, "甲公司", "乙公司"), "柯桥：辅导企业 +3（甲公司、乙公司）"), withLine(wantAdd("柯桥", indProv, 1), "省级站 +1"))},
	{name: "names go on after ；", in: "嵊州 辅导企业 +2 乙公司；丙公司",
		want: wantUpdates(withLine(wantAdd("嵊州", indTut, 2, "乙公司", "丙公司"), "嵊州 辅导企业 +2 乙公司；丙公司"))},
	{name: "names then next update", in: "嵊州 辅导企业 +2 乙公司、丙公司；嵊州 省级站 +1",
		want: wantUpdates(withLine(wantAdd("嵊州", indTut, 2, "乙公司", "丙公司"), "嵊州 辅导企业 +2 乙公司、丙公司"), withLine(wantAdd("嵊州", indProv, 1), "嵊州 省级站 +1"))},

	// --- queries ---
	{name: "进度", in: "进度", want: wantQuery("")},
	{name: "查询", in: "查询", want: wantQuery("")},
	{name: "状态", in: "状态", want: wantQuery("")},
	{name: "全市进度", in: "全市进度", want: wantQuery("")},
	{name: "county 进度", in: "柯桥 进度", want: wantQuery("柯桥")},
	{name: "county进度", in: "柯桥进度", want: wantQuery("柯桥")},
	{name: "查询 county", in: "查询 柯桥", want: wantQuery("柯桥")},
	{name: "查county", in: "查柯桥", want: wantQuery("柯桥")},
	{name: "怎么样了", in: "柯桥怎么样了？", want: wantQuery("柯桥")},
	{name: "状态 county", in: "状态 柯桥", want: wantQuery("柯桥")},
	{name: "进度？", in: "进度？", want: wantQuery("")},
	{name: "full name query", in: "诸暨市 进度", want: wantQuery("诸暨")},
	{name: "indicator query", in: "新昌辅导企业多少了", want: wantQuery("新昌")},

	// --- wantChatter ---
	{name: "收到", in: "收到", want: wantChatter},
	{name: "好的谢谢", in: "好的，谢谢", want: wantChatter},
	{name: "meeting", in: "明天下午开会", want: wantChatter},
	{name: "weather", in: "柯桥今天下雨了", want: wantChatter},
	{name: "empty", in: "", want: wantChatter},
	{name: "blank lines", in: "\n  \n\u3000", want: wantChatter},
	{name: "+1 means me too", in: "+1", want: wantChatter},
	{name: "full-width +3 alone", in: "＋３", want: wantChatter},
	{name: "加油", in: "柯桥加油！", want: wantChatter},
	{name: "talk about stations", in: "示范站的材料明天交", want: wantChatter},
	{name: "talk about tutoring", in: "今天去柯桥辅导了", want: wantChatter},
	{name: "county alone", in: "柯桥", want: wantChatter},
	{name: "time of day", in: "柯桥下午3点开会", want: wantChatter},
	{name: "emoji in chatter", in: "好的👍", want: wantChatter},
	{name: "word with 一", in: "柯桥统一安排", want: wantChatter},
	{name: "county with people", in: "柯桥来了三个人", want: wantChatter},
	{name: "bare number in a sentence", in: "今年要完成辅导企业20家的任务", want: wantChatter},
	{name: "indicator in a sentence", in: "辅导企业名单明天报", want: wantChatter},

	// --- ambiguities ---
	{name: "bare number", in: "柯桥 辅导企业 3", ambig: []string{"柯桥 辅导企业 +3", "柯桥 辅导企业 =3"}, labels: []string{"新增3", "累计共3"}},
	{name: "bare number with measure", in: "柯桥辅导企业3家", ambig: []string{"柯桥辅导企业+3家", "柯桥辅导企业=3家"}},
	{name: "bare Chinese number", in: "新昌 辅导企业 两家", ambig: []string{"新昌 辅导企业 +两家", "新昌 辅导企业 =两家"}, labels: []string{"新增2", "累计共2"}},
	{name: "bare full-width number keeps the text", in: "柯桥　辅导企业　３", ambig: []string{"柯桥　辅导企业　+３", "柯桥　辅导企业　=３"}},
	{name: "bare station", in: "柯桥 示范站 +1", ambig: []string{"柯桥 省级示范站 +1", "柯桥 市县级示范站 +1"}, labels: []string{"省级示范站", "市县级示范站"}},
	{name: "bare 示范点", in: "柯桥示范点+1", ambig: []string{"柯桥省级示范站+1", "柯桥市县级示范站+1"}},
	{name: "bare 示范站点", in: "柯桥 示范站点 =2", ambig: []string{"柯桥 省级示范站 =2", "柯桥 市县级示范站 =2"}},
	{name: "bare station and number", in: "柯桥 示范站 1",
		ambig:  []string{"柯桥 省级示范站 +1", "柯桥 省级示范站 =1", "柯桥 市县级示范站 +1", "柯桥 市县级示范站 =1"},
		labels: []string{"省级示范站 新增1", "省级示范站 累计共1", "市县级示范站 新增1", "市县级示范站 累计共1"}},
	{name: "second line ambiguous", in: "柯桥 辅导企业 +3\n诸暨 辅导企业 5", line: 2,
		ambig: []string{"柯桥 辅导企业 +3\n诸暨 辅导企业 +5", "柯桥 辅导企业 +3\n诸暨 辅导企业 =5"}},
	{name: "short report with a bare number", in: "我们辅导了3家", ambig: []string{"我们辅导了+3家", "我们辅导了=3家"}},
	{name: "spaced level with a bare number", in: "柯桥 省级 示范站 1", ambig: []string{"柯桥 省级 示范站 +1", "柯桥 省级 示范站 =1"}},
	{name: "ambiguity after blank lines", in: "柯桥 辅导企业 +3\n\n\n柯桥 示范站 +2", line: 4,
		ambig: []string{"柯桥 辅导企业 +3\n\n\n柯桥 省级示范站 +2", "柯桥 辅导企业 +3\n\n\n柯桥 市县级示范站 +2"}},
	{name: "ambiguity inside ， list", in: "柯桥辅导企业3家，甲公司，乙公司",
		ambig: []string{"柯桥辅导企业+3家，甲公司，乙公司", "柯桥辅导企业=3家，甲公司，乙公司"}},

	// --- errors ---
	{name: "misspelt county", in: "柯乔 辅导企业 +3", inputErr: "是指“柯桥”吗"},
	{name: "misspelt county no spaces", in: "柯乔辅导企业+3", inputErr: "是指“柯桥”吗"},
	{name: "foreign county", in: "宁波市 辅导企业 +3", inputErr: "不认识区县“宁波市”"},
	{name: "unknown indicator", in: "柯桥 +3", inputErr: "没看出是哪项指标"},
	{name: "unknown indicator typo", in: "柯桥 辅到企业 +3", inputErr: "没看出是哪项指标"},
	{name: "total without indicator", in: "柯桥 共12家", inputErr: "没看出是哪项指标"},
	{name: "missing amount", in: "柯桥 辅导企业", inputErr: "没写数量"},
	{name: "missing amount after sign", in: "柯桥 辅导企业 +", inputErr: "后面没写数量"},
	{name: "missing amount after keyword", in: "柯桥 辅导企业 新增", inputErr: "后面没写数量"},
	{name: "几", in: "柯桥 辅导企业 +几", inputErr: "没看懂数量“+几”"},
	{name: "新增几家", in: "柯桥 辅导企业 新增几家", inputErr: "没看懂数量"},
	{name: "letters", in: "柯桥 辅导企业 +abc", inputErr: "没看懂数量“+abc”"},
	{name: "sign on sign", in: "柯桥 辅导企业 +-3", inputErr: "没看懂数量"},
	{name: "decimal", in: "柯桥 辅导企业 +3.5", inputErr: "要写整数"},
	{name: "approximate", in: "柯桥 辅导企业 10多家", inputErr: "不是确切的数"},
	{name: "approximate Chinese", in: "柯桥 辅导企业 新增二十余家", inputErr: "不是确切的数"},
	{name: "zero delta", in: "柯桥 辅导企业 +0", inputErr: "新增0不用报"},
	{name: "bare zero", in: "柯桥 辅导企业 0", inputErr: "=0"},
	{name: "implausible", in: "柯桥 辅导企业 +1001", inputErr: "太大了"},
	{name: "implausible total", in: "柯桥 辅导企业 =5000", inputErr: "太大了"},
	{name: "implausible bare", in: "柯桥 辅导企业 2000", inputErr: "太大了"},
	{name: "huge digits", in: "柯桥 辅导企业 +99999999999999999999999", inputErr: "太大了"},
	{name: "negative total", in: "柯桥 辅导企业 =-3", inputErr: "累计数不能是负数"},
	{name: "two counties", in: "柯桥 诸暨 辅导企业 +3", inputErr: "一行只能写一个区县"},
	{name: "two counties, one after", in: "柯桥 辅导企业 +3 诸暨", inputErr: "一行只能写一个区县"},
	{name: "two indicators", in: "柯桥 辅导企业 省级示范站 +3", inputErr: "一行只能写一项指标"},
	{name: "total and change at once", in: "柯桥 辅导企业 累计减少3", inputErr: "没看懂数量“累计减少”"},
	{name: "two amounts", in: "柯桥 +3 +5 辅导企业", inputErr: "一行只能写一个数量"},
	{name: "two wantUpdates on one line", in: "柯桥 辅导企业 +3 省级示范站 +1", inputErr: "一行只能写一条更新"},
	{name: "bad second line fails all", in: "柯桥 辅导企业 +3\n诸暨 辅导企业 +几", line: 2, inputErr: "没看懂数量"},
	{name: "stray amount next to updates", in: "柯桥 辅导企业 +3\n+2", line: 2, inputErr: "没看出是哪项指标"},
	{name: "error beats ambiguity", in: "柯桥 辅导企业 3\n诸暨 辅导企业 +0", line: 2, inputErr: "新增0"},
	{name: "emoji inside an update", in: "柯桥 辅导企业 👍 +3", inputErr: "表情符号"},
	{name: "control character", in: "柯桥 辅导企业 +3\x00", inputErr: "控制字符"},
	{name: "escape character in chatter", in: "好的\x1b[0m", inputErr: "控制字符"},
	{name: "invalid UTF-8", in: "柯桥 辅导企业 +3\xff", whole: true, inputErr: "无法识别的字符"},
	{name: "too long", in: strings.Repeat("柯", MaxRunes+1), whole: true, inputErr: "消息太长"},
	{name: "too many updates", in: strings.Repeat("柯桥 辅导企业 +1\n", MaxChanges+1), whole: true, inputErr: "最多20项"},
	{name: "two counties in a query", in: "柯桥 诸暨 进度", inputErr: "一次只能查一个区县"},

	// --- what follows the amount must be names, or nothing ---
	{name: "second signed amount", in: "柯桥 辅导企业 +1 +2", inputErr: "一行只能写一个数量，“+2”是第二个。请只写一个：柯桥 辅导企业 +3（新增）或 柯桥 辅导企业 =12（累计）"},
	{name: "second amount is a total", in: "柯桥 辅导企业 +1 =5", inputErr: "“=5”是第二个"},
	{name: "second amount with a measure word", in: "柯桥 辅导企业 +1 3家", inputErr: "“3家”是第二个"},
	{name: "second amount in Chinese numerals", in: "柯桥 辅导企业 +1 三家", inputErr: "“三家”是第二个"},
	{name: "second amount as a bare number", in: "柯桥 辅导企业 +1 123", inputErr: "“123”是第二个"},
	{name: "second amount with a thousands separator", in: "柯桥 辅导企业 +1 1,000", inputErr: "“1,000”是第二个"},
	{name: "second amount with a thousands separator and a measure word", in: "柯桥 辅导企业 +1 2,000家", inputErr: "“2,000家”是第二个"},
	{name: "second amount glued by a minus", in: "柯桥 辅导企业 +3-1", inputErr: "“-1”是第二个"},
	{name: "second amount before a name", in: "柯桥 辅导企业 +1 +2 甲公司", inputErr: "“+2”是第二个"},
	{name: "second amount after ；", in: "嵊州 辅导企业 +2 乙公司；3家", inputErr: "“3家”是第二个"},
	{name: "indicator as a name", in: "柯桥 辅导企业 +1 辅导企业", inputErr: "“辅导企业”是指标名，不是名称"},
	{name: "other indicator as a name", in: "柯桥 辅导企业 +1 省级示范站", inputErr: "“省级示范站”是指标名"},
	{name: "city as a name", in: "柯桥 辅导企业 +2 甲公司、绍兴", inputErr: "“绍兴”是区县名，不是名称"},
	{name: "exponent", in: "柯桥 辅导企业 +1e3", inputErr: "没看懂数量“+1e3”"},
	{name: "thousands separator", in: "柯桥 辅导企业 +1,000", inputErr: "数量“+1,000”里的逗号看不懂。如果是1000，请不加逗号写：柯桥 辅导企业 +1000"},
	{name: "full-width thousands separator", in: "柯桥 辅导企业 +1，000", inputErr: "如果是1000"},
	{name: "thousands separator in a total", in: "柯桥 辅导企业 =1,000家", inputErr: "柯桥 辅导企业 =1000"},
	{name: "percent after a keyword", in: "柯桥 辅导企业 达到100%", inputErr: "没看懂数量“达到100%”"},
	{name: "HTML tags", in: "柯桥 辅导企业 +1 <b>x</b>", inputErr: "名称“<b>x</b>”里有格式符号（< > & * ` 等）。请只写名称本身，例如：柯桥 辅导企业 +1 甲纺织有限公司"},
	{name: "HTML entity", in: "柯桥 辅导企业 +1 甲&amp;乙公司", inputErr: "格式符号"},
	{name: "Markdown bold", in: "柯桥 辅导企业 +1 **甲公司**", inputErr: "格式符号"},
	{name: "Markdown code", in: "柯桥 辅导企业 +1 `甲公司`", inputErr: "格式符号"},
	{name: "no letter in a name", in: "柯桥 辅导企业 +1 ——", inputErr: "没看懂“--”，它不像名称"},
	{name: "a word that is no name", in: "柯桥 辅导企业 +1 今天", inputErr: "没看懂“今天”"},
	{name: "station name example", in: "柯桥 省级示范站 +1 <i>站</i>", inputErr: "柯桥 省级示范站 +1 某某示范站"},
	{name: "names with digits inside", in: "柯桥 辅导企业 +2 3M中国有限公司、绍兴101科技有限公司",
		want: wantUpdates(wantAdd("柯桥", indTut, 2, "3M中国有限公司", "绍兴101科技有限公司"))},
	{name: "name with digits after a comma", in: "柯桥 辅导企业 +1，3M中国有限公司", want: wantUpdates(wantAdd("柯桥", indTut, 1, "3M中国有限公司"))},
	{name: "name with a county in brackets", in: "柯桥 辅导企业 +1 甲纺织有限公司（嵊州）", want: wantUpdates(wantAdd("柯桥", indTut, 1, "甲纺织有限公司(嵊州)"))},
	{name: "Latin name with spaces", in: "柯桥 辅导企业 +1 ABC Trading Ltd", want: wantUpdates(wantAdd("柯桥", indTut, 1, "ABC Trading Ltd"))},
	{name: "name that starts like a total mark", in: "柯桥 辅导企业 +1 共享科技有限公司", want: wantUpdates(wantAdd("柯桥", indTut, 1, "共享科技有限公司"))},
	{name: "ampersand in a name", in: "柯桥 辅导企业 +1 P&G中国", want: wantUpdates(wantAdd("柯桥", indTut, 1, "P&G中国"))},
	{name: "two names", in: "柯桥 辅导企业 +2 甲纺织有限公司、乙领带有限公司", want: wantUpdates(wantAdd("柯桥", indTut, 2, "甲纺织有限公司", "乙领带有限公司"))},

	// --- bidi controls: what the phone shows is not what would be read ---
	{name: "right-to-left override in the amount", in: "柯桥 辅导企业 +\u202e31", inputErr: "消息里有改变文字方向的隐藏字符，手机上显示的可能和实际内容不一样。请不要复制粘贴，手动重新输入，例如：柯桥 辅导企业 +3"},
	{name: "right-to-left mark on the second line", in: "柯桥 辅导企业 +3\n诸暨 辅导企业 +1\u200f", line: 2, inputErr: "改变文字方向"},
	{name: "isolate in a name", in: "柯桥 辅导企业 +1 甲\u2067公司\u2069", inputErr: "改变文字方向"},
	{name: "Arabic letter mark", in: "柯桥 辅导企业 +\u061c3", inputErr: "改变文字方向"},
	{name: "bidi mark in a chatter line beside an update", in: "柯桥 辅导企业 +3\n好的\u200e", line: 2, inputErr: "改变文字方向"},
	{name: "bidi mark in chatter", in: "好的\u200f", want: wantChatter},

	// --- totals said in other ways ---
	{name: "total mark after the number", in: "柯桥 辅导企业 25 累计", want: wantUpdates(wantSet("柯桥", indTut, 25))},
	{name: "total mark in brackets", in: "辅导企业25家（累计）", want: wantUpdates(wantSet("", indTut, 25))},
	{name: "共 in brackets", in: "辅导企业 25（共）", want: wantUpdates(wantSet("", indTut, 25))},
	{name: "合计 after the measure word", in: "柯桥 辅导企业 25家 合计", want: wantUpdates(wantSet("柯桥", indTut, 25))},
	{name: "总共 in half-width brackets", in: "柯桥 辅导企业 25家(总共)", want: wantUpdates(wantSet("柯桥", indTut, 25))},
	{name: "total mark after a total", in: "柯桥 辅导企业 =25 累计", want: wantUpdates(wantSet("柯桥", indTut, 25))},
	{name: "total mark then names", in: "柯桥 辅导企业 2 累计 甲公司、乙公司", want: wantUpdates(wantSet("柯桥", indTut, 2, "甲公司", "乙公司"))},
	{name: "total mark after a change", in: "柯桥 辅导企业 +3 累计", inputErr: "没看懂数量“+3 累计”"},
	{name: "已完成", in: "柯桥 辅导企业 已完成25家", want: wantUpdates(wantSet("柯桥", indTut, 25))},
	{name: "完成", in: "柯桥 辅导企业 完成25家", want: wantUpdates(wantSet("柯桥", indTut, 25))},
	{name: "已经完成了", in: "柯桥辅导企业已经完成了25家", want: wantUpdates(wantSet("柯桥", indTut, 25))},
	{name: "完成 before the indicator", in: "柯桥已完成辅导企业25家", want: wantUpdates(wantSet("柯桥", indTut, 25))},
	{name: "累计完成", in: "柯桥 辅导企业 累计完成25家", want: wantUpdates(wantSet("柯桥", indTut, 25))},
	{name: "达到 stays", in: "柯桥 辅导企业 达到25家", want: wantUpdates(wantSet("柯桥", indTut, 25))},
	{name: "累计达到 stays", in: "柯桥 辅导企业 累计达到25家", want: wantUpdates(wantSet("柯桥", indTut, 25))},
	{name: "已达 stays", in: "柯桥 辅导企业 已达25家", want: wantUpdates(wantSet("柯桥", indTut, 25))},
	{name: "a target to complete is talk", in: "辅导企业要完成20家", want: wantChatter},
	{name: "完成情况 is a query", in: "柯桥完成情况", want: wantQuery("柯桥")},

	// --- decorative emoji ---
	{name: "emoji before an update", in: "👍 柯桥 辅导企业 +3", want: wantUpdates(withLine(wantAdd("柯桥", indTut, 3), "柯桥 辅导企业 +3"))},
	{name: "emoji after an update", in: "柯桥 辅导企业 +3 🎉", want: wantUpdates(withLine(wantAdd("柯桥", indTut, 3), "柯桥 辅导企业 +3"))},
	{name: "emoji glued to the amount", in: "柯桥 辅导企业 +3👍", want: wantUpdates(withLine(wantAdd("柯桥", indTut, 3), "柯桥 辅导企业 +3"))},
	{name: "emoji with variation selector", in: "收到\n柯桥 辅导企业 +3 ✔\ufe0f", want: wantUpdates(withLine(wantAdd("柯桥", indTut, 3), "柯桥 辅导企业 +3"))},
	{name: "emoji on both ends", in: "👍👍 柯桥 辅导企业 +3 🎉🎉", want: wantUpdates(withLine(wantAdd("柯桥", indTut, 3), "柯桥 辅导企业 +3"))},
	{name: "emoji after a name is no name", in: "柯桥 辅导企业 +1 甲公司🎉", want: wantUpdates(withLine(wantAdd("柯桥", indTut, 1, "甲公司"), "柯桥 辅导企业 +1 甲公司"))},
	{name: "emoji where a name would be", in: "柯桥 辅导企业 +1 🎉", want: wantUpdates(withLine(wantAdd("柯桥", indTut, 1), "柯桥 辅导企业 +1"))},
	{name: "emoji after a bare number", in: "柯桥 辅导企业 3 👍", ambig: []string{"柯桥 辅导企业 +3", "柯桥 辅导企业 =3"}},
	{name: "emoji inside the county", in: "柯👍桥 辅导企业 +3", inputErr: "请去掉表情符号后重发，例如：柯桥 辅导企业 +3"},
	{name: "emoji inside the indicator", in: "柯桥 辅导👍企业 +3", inputErr: "表情符号"},
	{name: "emoji inside the amount", in: "柯桥 辅导企业 +👍3", inputErr: "表情符号"},
	{name: "emoji inside the names", in: "柯桥 辅导企业 +2 甲公司🎉乙公司", inputErr: "表情符号"},

	// --- how far from the target ---
	{name: "还差多少", in: "柯桥还差多少", want: wantQuery("柯桥")},
	{name: "还差几家", in: "柯桥还差几家", want: wantQuery("柯桥")},
	{name: "差多少", in: "柯桥差多少", want: wantQuery("柯桥")},
	{name: "还差几个 with 市", in: "诸暨市还差几个？", want: wantQuery("诸暨")},
	{name: "还缺几家 for an indicator", in: "柯桥辅导企业还缺几家", want: wantQuery("柯桥")},
	{name: "还差多少 for the city", in: "还差多少", want: wantQuery("")},
}

func TestGrammarParse(t *testing.T) {
	c := grammarCampaign(t)
	for _, tc := range grammarCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in, c)
			if tc.want != nil {
				if err != nil {
					t.Fatalf("Parse(%q): unexpected error %v", tc.in, err)
				}
				want := *tc.want
				want.Changes = append([]Change(nil), want.Changes...)
				for i := range want.Changes {
					if want.Changes[i].Line == "" {
						want.Changes[i].Line = strings.TrimSpace(tc.in)
					}
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("Parse(%q)\n got %+v\nwant %+v", tc.in, got, want)
				}
				return
			}
			if !reflect.DeepEqual(got, Parsed{}) {
				t.Errorf("Parse(%q) returned both %+v and an error", tc.in, got)
			}
			line := tc.line
			if line == 0 && !tc.whole {
				line = 1
			}
			switch {
			case tc.ambig != nil:
				var a *Ambiguity
				if !errors.As(err, &a) {
					t.Fatalf("Parse(%q) = %v, want an Ambiguity", tc.in, err)
				}
				if a.Line != line || !reflect.DeepEqual(a.Options, tc.ambig) || a.Question == "" || len(a.Labels) != len(a.Options) {
					t.Fatalf("Parse(%q) = line %d options %q labels %q, want line %d options %q", tc.in, a.Line, a.Options, a.Labels, line, tc.ambig)
				}
				if tc.labels != nil && !reflect.DeepEqual(a.Labels, tc.labels) {
					t.Fatalf("Parse(%q) labels %q, want %q", tc.in, a.Labels, tc.labels)
				}
			default:
				var ie *InputError
				if !errors.As(err, &ie) {
					t.Fatalf("Parse(%q) = %v, want an InputError", tc.in, err)
				}
				if ie.Line != line || !strings.Contains(ie.Msg, tc.inputErr) {
					t.Fatalf("Parse(%q) = line %d %q, want line %d containing %q", tc.in, ie.Line, ie.Msg, line, tc.inputErr)
				}
			}
		})
	}
}

// Every InputError must tell the user what to type: an example or a plain instruction.
func TestGrammarErrorsSayWhatToType(t *testing.T) {
	c := grammarCampaign(t)
	for _, tc := range grammarCases {
		if tc.inputErr == "" {
			continue
		}
		_, err := Parse(tc.in, c)
		var ie *InputError
		if errors.As(err, &ie) && !strings.Contains(ie.Msg, "例如") && !strings.Contains(ie.Msg, "请") {
			t.Errorf("%s: %q gives no instruction", tc.name, ie.Msg)
		}
	}
}

// Pressing a button: each option re-parses to an update (or to a question on another part).
func TestGrammarAmbiguityOptionsResolve(t *testing.T) {
	c := grammarCampaign(t)
	for _, tc := range grammarCases {
		if tc.ambig == nil {
			continue
		}
		for _, opt := range tc.ambig {
			p, err := Parse(opt, c)
			if err != nil || p.Intent != Update {
				t.Errorf("%s: option %q gives %+v, %v", tc.name, opt, p, err)
			}
		}
	}
}

func TestGrammarNilCampaign(t *testing.T) {
	p, err := Parse("辅导企业 +3", nil)
	if err != nil || !reflect.DeepEqual(p, Parsed{Intent: Update, Changes: []Change{{Indicator: indTut, Op: OpAdd, Amount: 3, Line: "辅导企业 +3"}}}) {
		t.Fatalf("got %+v, %v", p, err)
	}
}

// BenchmarkParse is one typical message, against the city's six counties
// and against a province's 90 (every spelling of each: 540 or so).
func BenchmarkParse(b *testing.B) {
	msg := "柯桥 辅导企业 +3 甲纺织有限公司、乙印染有限公司\n柯桥 省级示范站 =1"
	for _, tc := range []struct {
		name     string
		counties int
	}{{"city", 6}, {"province", 90}} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := data.DefaultConfig()
			base := cfg.Campaign.Counties[0]
			for i := len(cfg.Campaign.Counties); i < tc.counties; i++ {
				co := base
				co.Name, co.FullName, co.Aliases = fmt.Sprintf("省县%02d", i), fmt.Sprintf("省县%02d县", i), []string{fmt.Sprintf("第%02d县", i)}
				cfg.Campaign.Counties = append(cfg.Campaign.Counties, co)
			}
			c, err := cfg.BuildCampaign()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(msg, &c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
