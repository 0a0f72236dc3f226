package data

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func importCampaign(t testing.TB) *Campaign {
	t.Helper()
	c, err := DefaultConfig().BuildCampaign()
	if err != nil {
		t.Fatal(err)
	}
	return &c
}

var (
	importStaff = Person{UserID: 200, Role: RoleCounty, County: "柯桥", Name: "张三"}
	importAdmin = Person{UserID: 100, Role: RoleAdmin, Name: "凌晓波"}
)

func tut(row int, county, name string, vals ...string) ImportRow {
	r := ImportRow{Sheet: "专项辅导名单", Row: row, List: ListTutoring, County: county, Name: name}
	for i := 0; i+1 < len(vals); i += 2 {
		f, ok := map[string]DetailField{"code": DetailCreditCode, "phone": DetailPhone, "date": DetailDate, "contact": DetailContact}[vals[i]]
		if !ok {
			panic(vals[i])
		}
		r.Values[f] = vals[i+1]
	}
	return r
}

// seedImport lists 甲纺织有限公司 on 柯桥's tutoring list with a contact, and
// 乙领带有限公司 on 嵊州's; 柯桥 has two more tutored enterprises unnamed.
func seedImport(t testing.TB, s *Store) {
	t.Helper()
	ctx := context.Background()
	a := Author{UserID: 100, Name: "凌晓波", Admin: true}
	if _, err := s.Record(ctx, a, []Change{
		{County: "柯桥", Indicator: Tutoring, Amount: 1, Names: []string{"甲纺织有限公司"}},
		{County: "柯桥", Indicator: Tutoring, Amount: 2},
		{County: "嵊州", Indicator: Tutoring, Amount: 1, Names: []string{"乙领带有限公司"}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddDetails(ctx, a, "柯桥", "甲纺织有限公司", []DetailValue{{Field: DetailContact, Value: "王五"}}); err != nil {
		t.Fatal(err)
	}
}

func planText(p ImportPlan) string {
	var b strings.Builder
	for _, n := range p.New {
		fmt.Fprintf(&b, "new %d %s %s %s %v\n", n.Row, n.County, n.Indicator.Key(), n.Name, n.Values)
	}
	for _, c := range p.Changes {
		fmt.Fprintf(&b, "change %d %s %s %v\n", c.Row, c.County, c.Name, c.Values)
	}
	for _, g := range p.Groups {
		fmt.Fprintf(&b, "group %s %s +%d %d→%d\n", g.County, g.Indicator.Key(), g.Names, g.Before, g.After)
	}
	for _, e := range p.Errors {
		fmt.Fprintf(&b, "error %d %s\n", e.Row, e.Reason)
	}
	for _, e := range p.Elsewhere {
		fmt.Fprintf(&b, "elsewhere %s %s / %s %s\n", e.County, e.Name, e.Listed.County, e.Listed.Name)
	}
	fmt.Fprintf(&b, "same %d", p.Same)
	return b.String()
}

func TestPlanImport(t *testing.T) {
	c := importCampaign(t)
	tests := []struct {
		name string
		who  Person
		rows []ImportRow
		want string
	}{
		{name: "a new name and a changed attribute", who: importStaff, rows: []ImportRow{
			tut(4, "", "甲纺织有限公司", "contact", "王五", "phone", "138 0000 0000"),
			tut(5, "柯桥", "丙印染有限公司", "code", "91310110666007217T", "date", "9月12日"),
		}, want: "new 5 柯桥 tutoring 丙印染有限公司 [{0 91310110666007217T} {5 2027-09-12}]\n" +
			"change 4 柯桥 甲纺织有限公司 [{4 13800000000}]\n" +
			"group 柯桥 tutoring +1 3→3\nsame 0"},
		{name: "names beyond the unnamed add to the count", who: importStaff, rows: []ImportRow{
			tut(4, "", "丙公司"), tut(5, "", "丁公司"), tut(6, "", "戊公司"),
		}, want: "new 4 柯桥 tutoring 丙公司 []\nnew 5 柯桥 tutoring 丁公司 []\nnew 6 柯桥 tutoring 戊公司 []\n" +
			"group 柯桥 tutoring +3 3→4\nsame 0"},
		{name: "bad values, every reason", who: importStaff, rows: []ImportRow{
			tut(4, "", "丙公司", "code", "91310110666007218T", "phone", "1234", "date", "9月31日"),
		}, want: "error 4 信用代码校验位不对（末位应为X，这里是T）；电话不是电话号码；日期不是日期\nsame 0"},
		{name: "duplicates in the file and near ones", who: importStaff, rows: []ImportRow{
			tut(4, "", "丙纺织有限公司"), tut(5, "", "丙纺织 有限公司"), tut(6, "", "丙纺织公司"), tut(7, "", "甲纺织公司"),
			tut(8, "", "甲纺织公司（另一家）"),
		}, want: "new 4 柯桥 tutoring 丙纺织有限公司 []\nnew 8 柯桥 tutoring 甲纺织公司 []\ngroup 柯桥 tutoring +2 3→3\n" +
			"error 5 与第4行重复\nerror 6 与第4行像是同一家；如是另一家，名称后加（另一家）\n" +
			"error 7 像是名单上的“甲纺织有限公司”；如是另一家，名称后加（另一家）\nsame 0"},
		{name: "another county's rows for staff", who: importStaff, rows: []ImportRow{
			tut(4, "越城", "丙公司"), tut(5, "火星", "丁公司"),
		}, want: "error 4 是越城的，您只能导入柯桥\nerror 5 区县“火星”不认识\nsame 0"},
		{name: "another county's rows as they are listed", who: importStaff, rows: []ImportRow{
			tut(4, "嵊州", "乙领带有限公司"), tut(5, "嵊州", "乙领带有限公司", "contact", "李四"), tut(6, "嵊州", "丙领带有限公司"),
			tut(7, "", "丁公司"),
		}, want: "new 7 柯桥 tutoring 丁公司 []\ngroup 柯桥 tutoring +1 3→3\n" +
			"error 5 是嵊州的，您只能导入柯桥\nerror 6 是嵊州的，您只能导入柯桥\nsame 1"},
		{name: "the admin names the county", who: importAdmin, rows: []ImportRow{
			tut(4, "", "丙公司"), tut(5, "越城区", "乙领带有限公司"),
		}, want: "new 5 越城 tutoring 乙领带有限公司 []\ngroup 越城 tutoring +1 0→1\nerror 4 缺区县\n" +
			"elsewhere 越城 乙领带有限公司 / 嵊州 乙领带有限公司\nsame 0"},
		{name: "levels on the 培育名单", who: importStaff, rows: []ImportRow{
			{Sheet: "培育名单", Row: 4, List: ListCultured, Name: "柯桥纺织示范站", Level: "省级示范站(点)\n行业协会"},
			{Sheet: "培育名单", Row: 5, List: ListCultured, Name: "钱清示范点", Level: "市、县级商业秘密保护示范站（点）"},
			{Sheet: "培育名单", Row: 6, List: ListCultured, Name: "华舍示范点", Level: "协会"},
			{Sheet: "培育名单", Row: 7, List: ListCultured, Name: "", Level: "", County: "柯桥"},
		}, want: "new 4 柯桥 provincial_station 柯桥纺织示范站 [{1 行业协会}]\nnew 5 柯桥 city_station 钱清示范点 []\n" +
			"group 柯桥 provincial_station +1 0→1\ngroup 柯桥 city_station +1 0→1\n" +
			"error 6 类型/级别应写省级示范区、省级示范站或市县级示范站\nsame 0"},
		{name: "one unit, two values", who: importStaff, rows: []ImportRow{
			tut(4, "", "丙公司", "contact", "王五"),
			{Sheet: "培育名单", Row: 4, List: ListCultured, Name: "丙公司", Level: "市县级示范站", Values: [NumDetailFields]string{DetailContact: "赵六"}},
		}, want: "new 4 柯桥 tutoring 丙公司 [{3 王五}]\ngroup 柯桥 tutoring +1 3→3\nerror 4 联系人与第4行不一致\nsame 0"},
		{name: "unchanged rows", who: importStaff, rows: []ImportRow{tut(4, "", "甲纺织有限公司", "contact", "王五")}, want: "same 1"},
		{name: "a missing name", who: importStaff, rows: []ImportRow{tut(4, "", "", "contact", "王五")}, want: "error 4 缺单位名称\nsame 0"},
		{name: "invisible characters in a name", who: importStaff, rows: []ImportRow{
			tut(4, "", "甲纺织有限公司\u200b", "contact", "王五"), tut(5, "", "丙\u2060印染\ufeff有限公司"),
		}, want: "new 5 柯桥 tutoring 丙印染有限公司 []\ngroup 柯桥 tutoring +1 3→3\nsame 1"},
		{name: "a total line is no firm", who: importStaff, rows: []ImportRow{
			tut(4, "", "共3家；其中1家未具名"), tut(5, "", "合计"), tut(6, "", "共和纺织有限公司"),
		}, want: "new 6 柯桥 tutoring 共和纺织有限公司 []\ngroup 柯桥 tutoring +1 3→3\n" +
			"error 4 这是合计行，不是单位（请删去）\nerror 5 这是合计行，不是单位（请删去）\nsame 0"},
		{name: "a name too long, or with a direction control", who: importStaff, rows: []ImportRow{
			tut(4, "", strings.Repeat("长", MaxNameRunes+1)), tut(5, "", "丙\u202e印染有限公司"),
		}, want: "error 4 单位名称太长（最多100字）\nerror 5 单位名称含看不见的控制字符（请重新输入）\nsame 0"},
		{name: "a line break in a name", who: importStaff, rows: []ImportRow{tut(4, "", "丙印染\n有限公司")},
			want: "error 4 单位名称里有换行（请删去）\nsame 0"},
		{name: "Excel's error values", who: importStaff, rows: []ImportRow{
			tut(4, "", "#N/A"), tut(5, "", "丙公司", "contact", "#REF!"), tut(6, "#VALUE!", "丁公司"),
		}, want: "error 4 单位名称是Excel错误值#N/A（请改成文字）\nerror 5 联系人是Excel错误值#REF!（请改成文字）\n" +
			"error 6 区县是Excel错误值#VALUE!（请改成文字）\nsame 0"},
		{name: "numbers Excel made of a code and a phone", who: importStaff, rows: []ImportRow{
			tut(4, "", "丙公司", "code", "913101106660072000"), tut(5, "", "丁公司", "code", "9.1310110666007206E+17"),
			tut(6, "", "戊公司", "phone", "57585134612"),
		}, want: "error 4 信用代码被Excel改成了数字（请设为文本后重填）\n" +
			"error 5 信用代码被Excel改成了数字（请设为文本后重填）\n" +
			"error 6 电话开头的0被Excel去掉了（请设为文本后重填）\nsame 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openTestStore(t)
			seedImport(t, s)
			p, err := s.PlanImport(context.Background(), c, tc.who, tc.rows)
			if err != nil {
				t.Fatal(err)
			}
			if got := planText(p); got != tc.want {
				t.Errorf("plan:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// stage keeps rows as a preview and returns the pending import and its question.
func stage(t testing.TB, s *Store, rows []ImportRow) (PendingImport, int64) {
	t.Helper()
	p := PendingImport{UserID: 200, ChatID: 200, MessageID: 7, FileName: "柯桥.xlsx", Rows: rows}
	id, err := s.StageImport(context.Background(), p, "digest", 0, Answer{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Choice(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	pid, _, ok := ImportChoice(c)
	if !ok {
		t.Fatalf("question %+v is no import preview", c)
	}
	p, err = s.LoadPendingImport(context.Background(), pid)
	if err != nil {
		t.Fatal(err)
	}
	return p, id
}

// Confirm writes exactly the plan, once; undo takes it all back.
func TestImportApplyOnceAndUndo(t *testing.T) {
	ctx := context.Background()
	c := importCampaign(t)
	s := openTestStore(t)
	seedImport(t, s)
	rows := []ImportRow{
		tut(4, "", "甲纺织有限公司", "contact", "赵六"),
		tut(5, "", "丙公司", "code", "91310110666007217T"),
		tut(6, "", "丁公司"), tut(7, "", "戊公司"),
	}
	pending, choice := stage(t, s, rows)
	if len(pending.Rows) != 4 || pending.Rows[1].Values[DetailCreditCode] != "91310110666007217T" {
		t.Fatalf("rows stored as %+v", pending.Rows)
	}
	plan, err := s.PlanImport(ctx, c, importStaff, pending.Rows)
	if err != nil {
		t.Fatal(err)
	}
	a := Author{UserID: 200, Name: "张三", ChatID: 200, MessageID: 9, Choice: choice}
	out, err := s.Import(ctx, a, pending.ID, plan)
	if err != nil {
		t.Fatal(err)
	}
	if out.Batch.Kind != KindImport {
		t.Errorf("batch kind %q", out.Batch.Kind)
	}
	if got := mustTotals(t, s)["柯桥"][Tutoring]; got != 4 {
		t.Errorf("柯桥 tutoring = %d, want 4 (3, the two unnamed named and one more)", got)
	}
	listed := func() string {
		ls, err := s.Names(ctx, "柯桥")
		if err != nil {
			t.Fatal(err)
		}
		var ns []string
		for _, l := range ls {
			ns = append(ns, l.Name)
		}
		return strings.Join(ns, "、")
	}
	if got := listed(); got != "甲纺织有限公司、丙公司、丁公司、戊公司" {
		t.Errorf("list = %s", got)
	}
	details := func(name string, f DetailField) string {
		d, err := s.Details(ctx, "柯桥")
		if err != nil {
			t.Fatal(err)
		}
		return d[Unit{"柯桥", NormalizeName(name)}].Get(f)
	}
	if details("甲纺织有限公司", DetailContact) != "赵六" || details("丙公司", DetailCreditCode) != "91310110666007217T" {
		t.Error("the attributes were not written")
	}
	// A second confirmation, by the same question or by the pending import.
	if _, err := s.Import(ctx, a, pending.ID, plan); !errors.Is(err, ErrChoiceClosed) {
		t.Errorf("second confirm: %v, want ErrChoiceClosed", err)
	}
	a.Choice = 0
	if _, err := s.Import(ctx, a, pending.ID, plan); !errors.Is(err, ErrImported) {
		t.Errorf("confirm of an imported file: %v, want ErrImported", err)
	}
	if _, err := s.LoadPendingImport(ctx, pending.ID); !errors.Is(err, ErrImported) {
		t.Errorf("load: %v, want ErrImported", err)
	}
	if got := mustTotals(t, s)["柯桥"][Tutoring]; got != 4 {
		t.Errorf("after the second confirm 柯桥 tutoring = %d, want 4", got)
	}
	before, err := listsVersion(s.db, "柯桥")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Undo(ctx, Author{UserID: 200, Name: "张三"}, 0); err != nil {
		t.Fatal(err)
	}
	if got := mustTotals(t, s)["柯桥"][Tutoring]; got != 3 {
		t.Errorf("after undo 柯桥 tutoring = %d, want 3", got)
	}
	if got := listed(); got != "甲纺织有限公司" {
		t.Errorf("after undo the list = %s", got)
	}
	if details("甲纺织有限公司", DetailContact) != "王五" {
		t.Errorf("after undo the contact = %q, want 王五 again", details("甲纺织有限公司", DetailContact))
	}
	if after, _ := listsVersion(s.db, "柯桥"); after == before {
		t.Error("the undo did not change the lists' version")
	}
}

// An import of attributes alone is undone too, and changes the version.
func TestImportDetailsOnlyUndo(t *testing.T) {
	ctx := context.Background()
	c := importCampaign(t)
	s := openTestStore(t)
	seedImport(t, s)
	pending, choice := stage(t, s, []ImportRow{tut(4, "", "甲纺织有限公司", "phone", "13800000000")})
	plan, err := s.PlanImport(ctx, c, importStaff, pending.Rows)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(ctx, Author{UserID: 200, Choice: choice}, pending.ID, plan); err != nil {
		t.Fatal(err)
	}
	v1, _ := listsVersion(s.db, "柯桥")
	if _, err := s.Undo(ctx, Author{UserID: 200}, 0); err != nil {
		t.Fatal(err)
	}
	v2, _ := listsVersion(s.db, "柯桥")
	d, _ := s.Details(ctx, "柯桥")
	if got := d[Unit{"柯桥", NormalizeName("甲纺织有限公司")}].Get(DetailPhone); got != "" || v1 == v2 {
		t.Errorf("after undo phone = %q, versions %d %d", got, v1, v2)
	}
}

// A confirmation after the lists changed writes nothing.
func TestImportStale(t *testing.T) {
	ctx := context.Background()
	c := importCampaign(t)
	s := openTestStore(t)
	seedImport(t, s)
	pending, choice := stage(t, s, []ImportRow{tut(4, "", "丙公司")})
	plan, err := s.PlanImport(ctx, c, importStaff, pending.Rows)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Record(ctx, Author{UserID: 201}, []Change{{County: "柯桥", Indicator: Tutoring, Amount: 1, Names: []string{"丙公司"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(ctx, Author{UserID: 200, Choice: choice}, pending.ID, plan); !errors.Is(err, ErrListsChanged) {
		t.Fatalf("stale confirm: %v, want ErrListsChanged", err)
	}
	if got := mustTotals(t, s)["柯桥"][Tutoring]; got != 4 {
		t.Errorf("柯桥 tutoring = %d, want 4", got)
	}
	if _, err := s.LoadPendingImport(ctx, pending.ID); err != nil {
		t.Errorf("the pending import is gone after a refused confirm: %v", err)
	}
}
