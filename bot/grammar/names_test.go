package grammar

import (
	"reflect"
	"strings"
	"testing"

	"tsbot/data"
)

// Named updates: the names after the amount, and the lines that must not
// lose or split them. (The main grammar table is in grammar_test.go.)
func TestGrammarNamedUpdates(t *testing.T) {
	c, err := data.DefaultConfig().BuildCampaign()
	if err != nil {
		t.Fatal(err)
	}
	tut, city := data.Tutoring, data.CityStation
	add := func(county string, ind data.Indicator, n int, names ...string) Change {
		return Change{County: county, Indicator: ind, Op: OpAdd, Amount: n, Names: names}
	}
	set := func(county string, ind data.Indicator, n int, names ...string) Change {
		return Change{County: county, Indicator: ind, Op: OpSet, Amount: n, Names: names}
	}
	tests := []struct {
		name  string
		in    string
		want  []Change // County, Indicator, Op, Amount, Names compared
		error string   // a part of the error, if one is expected
	}{
		{name: "、", in: "嵊州 辅导企业 +2 乙领带有限公司、丙厨具有限公司", want: []Change{add("嵊州", tut, 2, "乙领带有限公司", "丙厨具有限公司")}},
		{name: "；goes on with the names", in: "嵊州 辅导企业 +2 乙领带有限公司；丙厨具有限公司", want: []Change{add("嵊州", tut, 2, "乙领带有限公司", "丙厨具有限公司")}},
		{name: "; goes on with the names", in: "嵊州 辅导企业 +3 甲公司;乙公司;丙公司", want: []Change{add("嵊州", tut, 3, "甲公司", "乙公司", "丙公司")}},
		{name: "；after all names is chatter", in: "嵊州 辅导企业 +1 甲公司；谢谢", want: []Change{add("嵊州", tut, 1, "甲公司")}},
		{name: "；then an update", in: "嵊州 辅导企业 +1 甲公司；嵊州 市县级示范站 +1 乙站", want: []Change{add("嵊州", tut, 1, "甲公司"), add("嵊州", city, 1, "乙站")}},
		{name: "full-width comma", in: "柯桥 辅导企业 +2 甲公司，乙公司", want: []Change{add("柯桥", tut, 2, "甲公司", "乙公司")}},
		{name: "full-width space", in: "柯桥 辅导企业 +2 甲公司\u3000乙公司", want: []Change{add("柯桥", tut, 2, "甲公司", "乙公司")}},
		{name: "brackets inside a name", in: "柯桥 辅导企业 +1 绍兴某某（集团）有限公司", want: []Change{add("柯桥", tut, 1, "绍兴某某(集团)有限公司")}},
		{name: "half-width brackets inside a name", in: "柯桥 辅导企业 +1 绍兴某某(集团)有限公司", want: []Change{add("柯桥", tut, 1, "绍兴某某(集团)有限公司")}},
		{name: "a list in brackets", in: "柯桥 辅导企业 +2（甲公司、乙（集团）公司）", want: []Change{add("柯桥", tut, 2, "甲公司", "乙(集团)公司")}},
		{name: "a name in 《》", in: "柯桥 辅导企业 +1 《甲公司》", want: []Change{add("柯桥", tut, 1, "甲公司")}},
		{name: "removal", in: "嵊州 辅导企业 -1 乙领带有限公司", want: []Change{add("嵊州", tut, -1, "乙领带有限公司")}},
		{name: "Chinese numeral", in: "柯桥 市县级示范站 新增两个：甲站、乙站", want: []Change{add("柯桥", city, 2, "甲站", "乙站")}},
		{name: "no names", in: "柯桥 辅导企业 +2", want: []Change{add("柯桥", tut, 2)}},
		{name: "a space inside a name", in: "柯桥 辅导企业 +1 甲纺织 有限公司", want: []Change{add("柯桥", tut, 1, "甲纺织 有限公司")}},
		{name: "spaces between and inside names", in: "柯桥 辅导企业 +2 甲纺织 有限公司、乙公司", want: []Change{add("柯桥", tut, 2, "甲纺织 有限公司", "乙公司")}},
		// Counts and names that disagree are refused by the handler (and the
		// ledger), not the grammar: the grammar reads what was typed.
		{name: "more names than the amount", in: "柯桥 辅导企业 +1 甲公司、乙公司", want: []Change{add("柯桥", tut, 1, "甲公司", "乙公司")}},
		{name: "names with =N", in: "柯桥 辅导企业 =3 甲公司", want: []Change{set("柯桥", tut, 3, "甲公司")}},
		{name: "control character", in: "柯桥 辅导企业 +1 甲\x07公司", error: "字符"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.in, &c)
			if tc.error != "" {
				if err == nil || !strings.Contains(err.Error(), tc.error) {
					t.Fatalf("err = %v, want one containing %q", err, tc.error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Changes) != len(tc.want) {
				t.Fatalf("changes = %+v, want %+v", p.Changes, tc.want)
			}
			for i, got := range p.Changes {
				got.Line = ""
				if !reflect.DeepEqual(got, tc.want[i]) {
					t.Errorf("change %d = %+v, want %+v", i, got, tc.want[i])
				}
			}
		})
	}
}
