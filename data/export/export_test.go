package export

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"tsbot/data"
	"tsbot/data/testkit"
)

var seedNow = time.Date(2027, 9, 18, 2, 0, 0, 0, time.UTC) // 10:00 in Shaoxing

func campaign(t testing.TB) *data.Campaign {
	t.Helper()
	c, err := data.DefaultConfig().BuildCampaign()
	if err != nil {
		t.Fatal(err)
	}
	return &c
}

func openStore(t testing.TB, c *data.Campaign) *data.Store {
	t.Helper()
	s, err := data.Open(data.DatabaseConfig{Path: filepath.Join(t.TempDir(), "export.db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.Now = func() time.Time { return seedNow }
	s.ListsClose = c.ListsClose()
	return s
}

func named(county string, ind data.Indicator, names ...string) data.Change {
	return data.Change{County: county, Indicator: ind, Amount: len(names), Names: names}
}

// seed writes a small city: named and unnamed units, a station missing from
// the tutoring list, a confirmation, and a late change by the admin.
func seed(t *testing.T, s *data.Store) {
	t.Helper()
	ctx := context.Background()
	zhang := data.Author{UserID: 200, Name: "张三"}
	admin := data.Author{UserID: 100, Name: "凌晓波", Admin: true}
	steps := []struct {
		a       data.Author
		changes []data.Change
	}{
		{zhang, []data.Change{
			named("柯桥", data.ProvincialStation, "柯桥纺织商业秘密保护示范站"),
			named("柯桥", data.CityStation, "柯桥印染示范点", "钱清轻纺示范点"),
			{County: "柯桥", Indicator: data.CityStation, Amount: 1}, // unnamed
			named("柯桥", data.Tutoring, "甲纺织有限公司", "柯桥纺织商业秘密保护示范站", "钱清轻纺示范点"),
		}},
		{admin, []data.Change{
			named("越城", data.Zone, "越城高新区"),
			named("越城", data.Tutoring, "绍兴某某（集团）有限公司"),
			named("嵊州", data.Tutoring, "乙领带有限公司", "丙厨具有限公司"),
			// 嵊州 over its target of one station: the surplus must not
			// hide the shortfall of 上虞, 诸暨 and 新昌 in 合计.
			{County: "嵊州", Indicator: data.ProvincialStation, Amount: 2},
		}},
	}
	for _, st := range steps {
		if _, err := s.Record(ctx, st.a, st.changes); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []struct {
		a       data.Author
		county  string
		name    string
		details []data.DetailValue
	}{
		{zhang, "柯桥", "甲纺织有限公司", []data.DetailValue{
			{Field: data.DetailCreditCode, Value: "91310110666007217T"}, {Field: data.DetailKind, Value: "高新技术企业"},
			{Field: data.DetailAddress, Value: "绍兴市柯桥区柯桥街道笛扬路1号中国轻纺城创意园区A座12楼"},
			{Field: data.DetailContact, Value: "王五"}, {Field: data.DetailPhone, Value: "13800000000"},
			{Field: data.DetailDate, Value: "2027-09-12"}, {Field: data.DetailMethod, Value: "上门辅导"}}},
		{zhang, "柯桥", "甲纺织有限公司", []data.DetailValue{{Field: data.DetailPhone, Value: "0575-85134612"}}}, // the newest wins
		{zhang, "柯桥", "柯桥纺织商业秘密保护示范站", []data.DetailValue{
			{Field: data.DetailAddress, Value: "柯桥区华舍街道"}, {Field: data.DetailNote, Value: "依托区纺织行业协会建设"}}},
		{admin, "嵊州", "乙领带有限公司", []data.DetailValue{
			{Field: data.DetailCreditCode, Value: "913502000728319549"}, {Field: data.DetailDate, Value: "2027-09-15"},
			{Field: data.DetailMethod, Value: "集中培训"}}},
	} {
		if _, err := s.AddDetails(ctx, d.a, d.county, d.name, d.details); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Confirm(ctx, zhang, "柯桥", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Record(ctx, admin, []data.Change{named("柯桥", data.Tutoring, "丁机械有限公司")}); err != nil {
		t.Fatal(err)
	}
}

// dump is every cell of every sheet, row by row, for the golden file.
func dump(t *testing.T, raw []byte) string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	for _, s := range f.GetSheetList() {
		fmt.Fprintf(&b, "== %s ==\n", s)
		rows, err := f.GetRows(s)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			fmt.Fprintf(&b, "%d: %s\n", i+1, strings.ReplaceAll(strings.Join(r, " | "), "\n", "⏎"))
		}
	}
	return b.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	testkit.Golden(t, name, "cells", got)
}

func TestWorkbook(t *testing.T) {
	c := campaign(t)
	s := openStore(t, c)
	seed(t, s)
	asOf := time.Date(2027, 10, 1, 1, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, county string
	}{
		{"city", ""},
		{"keqiao", "柯桥"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := Load(context.Background(), s, c, tc.county, asOf)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := Workbook(&buf, in); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, dump(t, buf.Bytes()))
			checkLayout(t, buf.Bytes())
		})
	}
}

// checkLayout checks what a printed copy needs: A4, fit to width, a title
// row repeated on every page, and the chart.
func checkLayout(t *testing.T, raw []byte) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, s := range []string{SheetProgress, SheetCultured, SheetTutoring, SheetRecords} {
		pl, err := f.GetPageLayout(s)
		if err != nil {
			t.Fatal(err)
		}
		if pl.Size == nil || *pl.Size != 9 || pl.FitToWidth == nil || *pl.FitToWidth != 1 {
			t.Errorf("%s: page layout %+v: want A4, one page wide", s, pl)
		}
	}
	titles := map[string]bool{}
	area := ""
	for _, d := range f.GetDefinedName() {
		if d.Name == "_xlnm.Print_Titles" {
			titles[d.Scope] = true
		}
		if d.Name == "_xlnm.Print_Area" && d.Scope == SheetProgress {
			area = d.RefersTo
		}
	}
	if !strings.HasPrefix(area, "'进度'!$A$1:$N$") {
		t.Errorf("print area of 进度 = %q: want the form from A1, without the chart", area)
	}
	for _, s := range f.GetSheetList() {
		hf, err := f.GetHeaderFooter(s)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(hf.OddFooter, "&P") || !strings.Contains(hf.OddFooter, "&N") {
			t.Errorf("%s: footer %q: want page N of M", s, hf.OddFooter)
		}
	}
	// Fonts a Chinese office has: 黑体 headings, 宋体 figures, 仿宋 notes.
	for cell, family := range map[string]string{"A1": "黑体", "A2": "黑体", "C4": "黑体", "C6": "宋体", "A6": "宋体"} {
		if got := fontOf(t, f, SheetProgress, cell); got != family {
			t.Errorf("进度!%s in %q, want %s", cell, got, family)
		}
	}
	// Headings break between words, and notes are as tall as their text.
	rows, err := f.GetRows(SheetProgress)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if len(r) == 0 {
			continue
		}
		if strings.HasPrefix(r[0], "备注:") || strings.HasPrefix(r[0], "注：") {
			h, err := f.GetRowHeight(SheetProgress, i+1)
			if err != nil {
				t.Fatal(err)
			}
			if lines := lineCount(wNumber+wCounty+12*wFigure, r[0]); h < float64(lines)*15 {
				t.Errorf("row %d is %.0fpt for %d lines: %q", i+1, h, lines, r[0])
			}
		}
	}
	if got, _ := f.GetCellValue(SheetProgress, "L4"); got != "企业商业秘密\n保护专项辅导" {
		t.Errorf("heading L4 = %q", got)
	}
	if len(titles) != 4 {
		t.Errorf("print titles on %v, want every sheet", titles)
	}
	z, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	chart := false
	for _, zf := range z.File {
		chart = chart || strings.HasPrefix(zf.Name, "xl/charts/chart")
	}
	if !chart {
		t.Error("no chart in the workbook")
	}
}

// BenchmarkCityWorkbook exports the whole city with 5,000 named entries.
func BenchmarkCityWorkbook(b *testing.B) {
	c := campaign(b)
	s := openStore(b, c)
	ctx := context.Background()
	admin := data.Author{UserID: 100, Name: "凌晓波", Admin: true}
	n := 0
	for n < 5000 {
		var changes []data.Change
		for _, co := range c.Counties {
			for _, ind := range []data.Indicator{data.CityStation, data.Tutoring} {
				var ns []string
				for range 20 {
					n++
					ns = append(ns, fmt.Sprintf("%s测试%s企业%05d有限公司", co.Name, ind.Short(), n))
				}
				changes = append(changes, named(co.Name, ind, ns...))
			}
		}
		if _, err := s.Record(ctx, admin, changes); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		in, err := Load(ctx, s, c, "", seedNow)
		if err != nil {
			b.Fatal(err)
		}
		if len(in.Names) < 5000 {
			b.Fatalf("%d names", len(in.Names))
		}
		if err := Workbook(&bytes.Buffer{}, in); err != nil {
			b.Fatal(err)
		}
	}
}

// The export is an official document: whoever recorded a name, or signed
// off the lists, is shown by their roster name, not the Telegram nickname
// the rows were written under.
func TestWorkbookShowsRosterNames(t *testing.T) {
	c := campaign(t)
	s := openStore(t, c)
	ctx := context.Background()
	if err := s.SavePerson(ctx, data.Person{UserID: 1001, Role: data.RoleCounty, County: "柯桥", Name: "张三"}); err != nil {
		t.Fatal(err)
	}
	nick := data.Author{UserID: 1001, Name: "u1001"}
	if _, err := s.Record(ctx, nick, []data.Change{
		named("柯桥", data.CityStation, "柯桥印染示范点"),
		named("柯桥", data.Tutoring, "甲纺织有限公司", "柯桥印染示范点"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Confirm(ctx, nick, "柯桥", 0); err != nil {
		t.Fatal(err)
	}
	in, err := Load(ctx, s, c, "柯桥", seedNow)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Workbook(&buf, in); err != nil {
		t.Fatal(err)
	}
	cells := dump(t, buf.Bytes())
	if strings.Contains(cells, "u1001") || strings.Count(cells, "张三") < 4 {
		t.Errorf("want 张三 on both lists and the sign-off, never u1001:\n%s", cells)
	}
}

// TestPrintPreview writes the city workbook of the seed to the folder in
// TSBOT_PRINT_DIR, for testdata/print.sh to turn into PDF and PNG pages.
// Skipped without it: LibreOffice is no part of CI.
func TestPrintPreview(t *testing.T) {
	dir := os.Getenv("TSBOT_PRINT_DIR")
	if dir == "" {
		t.Skip("TSBOT_PRINT_DIR not set (run data/export/testdata/print.sh)")
	}
	c := campaign(t)
	s := openStore(t, c)
	seed(t, s)
	in, err := Load(context.Background(), s, c, "", time.Date(2027, 10, 1, 1, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Workbook(&buf, in); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "city.xlsx"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func fontOf(t *testing.T, f *excelize.File, sheet, cell string) string {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if st.Font == nil {
		return ""
	}
	return st.Font.Family
}

// The city's gap is the sum of the counties' gaps: 嵊州's second station
// does not stand in for 上虞's, 诸暨's or 新昌's.
func TestCityGapRow(t *testing.T) {
	c := campaign(t)
	s := openStore(t, c)
	seed(t, s)
	in, err := Load(context.Background(), s, c, "", seedNow)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Workbook(&buf, in); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(SheetProgress)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if len(r) > 0 && r[0] == "合计" {
			// 省级示范站: target 5, done 3 (柯桥 1, 嵊州 2), gap 3 not 2.
			if got := strings.Join(r[5:8], " "); got != "5 3 3" {
				t.Errorf("合计 省级示范站 = %s, want 5 3 3", got)
			}
			return
		}
	}
	t.Fatal("no 合计 row")
}

// Each 名单 ends with how many it counts and how many were recorded
// without names, and carries the newest attributes of each name.
func TestListFooters(t *testing.T) {
	c := campaign(t)
	s := openStore(t, c)
	seed(t, s)
	in, err := Load(context.Background(), s, c, "", seedNow)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Workbook(&buf, in); err != nil {
		t.Fatal(err)
	}
	cells := dump(t, buf.Bytes())
	for _, want := range []string{
		"共7个；其中3个未具名", // 培育名单: 4 named, 1 unnamed 柯桥 city station, 2 unnamed 嵊州 stations
		"共7家；其中0家未具名",
		"甲纺织有限公司 | 91310110666007217T | 高新技术企业 | 绍兴市柯桥区柯桥街道笛扬路1号中国轻纺城创意园区A座12楼 | 王五 | 0575-85134612 | 2027-09-12 | 上门辅导",
	} {
		if !strings.Contains(cells, want) {
			t.Errorf("no %q in\n%s", want, cells)
		}
	}
}
