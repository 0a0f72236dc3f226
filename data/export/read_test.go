package export

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"tsbot/data"
)

// The template of a county, read back as it was sent: every recorded name
// comes back as a row with its attributes, on the sheet of its list.
func TestTemplateRoundTrip(t *testing.T) {
	c := campaign(t)
	s := openStore(t, c)
	seed(t, s)
	in, err := Load(context.Background(), s, c, "柯桥", seedNow)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Template(&buf, in); err != nil {
		t.Fatal(err)
	}
	golden(t, "template", dump(t, buf.Bytes()))
	rows, err := ReadImport(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%s:%d %s %s %q %s %s", r.Sheet, r.Row, r.County, r.Name, r.Level, r.Values[data.DetailCreditCode], r.Values[data.DetailPhone]))
	}
	want := []string{
		`培育名单:4 柯桥 柯桥纺织商业秘密保护示范站 "省级示范站"  `,
		`培育名单:5 柯桥 柯桥印染示范点 "市县级示范站"  `,
		`培育名单:6 柯桥 钱清轻纺示范点 "市县级示范站"  `,
		`专项辅导名单:4 柯桥 甲纺织有限公司 "高新技术企业" 91310110666007217T 0575-85134612`,
		`专项辅导名单:5 柯桥 柯桥纺织商业秘密保护示范站 ""  `,
		`专项辅导名单:6 柯桥 钱清轻纺示范点 ""  `,
		`专项辅导名单:7 柯桥 丁机械有限公司 ""  `,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows read back:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// What the template holds is what the lists hold: nothing to import.
	plan, err := s.PlanImport(context.Background(), c, data.Person{UserID: 200, Role: data.RoleCounty, County: "柯桥"}, rows)
	if err != nil {
		t.Fatal(err)
	}
	if !plan.Empty() || len(plan.Errors) != 0 || plan.Same != len(rows) {
		t.Errorf("plan of the unchanged template = %+v, want %d rows the same", plan, len(rows))
	}
}

// sheetFile builds an xlsx with one 名单 sheet: the heading, then rows.
func sheetFile(t testing.TB, sheet string, rows [][]any, edit func(f *excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	head := make([]any, len(listColumns))
	for i, c := range listColumns {
		head[i] = c.head
	}
	if err := f.SetSheetRow(sheet, "A1", &head); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		r := r
		if err := f.SetSheetRow(sheet, cell(1, i+2), &r); err != nil {
			t.Fatal(err)
		}
	}
	if edit != nil {
		edit(f)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadImportRefuses(t *testing.T) {
	row := []any{1, "柯桥", "甲纺织有限公司", "91310110666007217T", "", "", "王五", "13800000000", "2027-09-12", "上门辅导", ""}
	many := make([][]any, data.MaxImportRows+1)
	for i := range many {
		many[i] = []any{i + 1, "柯桥", fmt.Sprintf("甲%d纺织有限公司", i)}
	}
	withVBA := func() []byte {
		var buf bytes.Buffer
		z := zip.NewWriter(&buf)
		good := sheetFile(t, "专项辅导名单", [][]any{row}, nil)
		zr, err := zip.NewReader(bytes.NewReader(good), int64(len(good)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			if err := z.Copy(f); err != nil {
				t.Fatal(err)
			}
		}
		w, _ := z.Create("xl/vbaProject.bin")
		w.Write([]byte("VBA"))
		z.Close()
		return buf.Bytes()
	}
	tests := []struct {
		name string
		raw  []byte
		want string // a part of the reason; "" reads
	}{
		{name: "a good file", raw: sheetFile(t, "专项辅导名单", [][]any{row}, nil)},
		{name: "not a spreadsheet", raw: []byte("%PDF-1.4 hello"), want: "不是 Excel 表格"},
		{name: "an xlsx with a password", raw: func() []byte {
			f := excelize.NewFile()
			defer f.Close()
			var buf bytes.Buffer
			if err := f.Write(&buf, excelize.Options{Password: "secret"}); err != nil {
				t.Fatal(err)
			}
			return buf.Bytes()
		}(), want: "设了打开密码"},
		{name: "an old xls", raw: append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 100)...), want: "旧版 .xls"},
		{name: "a zip that is no xlsx", raw: func() []byte {
			var buf bytes.Buffer
			z := zip.NewWriter(&buf)
			w, _ := z.Create("a.txt")
			w.Write([]byte("hello"))
			z.Close()
			return buf.Bytes()
		}(), want: "不是 Excel 表格"},
		{name: "over 5 MB", raw: append([]byte("PK\x03\x04"), make([]byte, data.MaxImportBytes)...), want: "超过5MB"},
		{name: "macros", raw: withVBA(), want: "含有宏"},
		{name: "a formula", raw: sheetFile(t, "专项辅导名单", [][]any{row}, func(f *excelize.File) {
			if err := f.SetCellFormula("专项辅导名单", "K2", `CONCAT(B2,"x")`); err != nil {
				t.Fatal(err)
			}
		}), want: "有公式（K2）"},
		{name: "merged cells among the names", raw: sheetFile(t, "专项辅导名单", [][]any{row, row}, func(f *excelize.File) {
			if err := f.MergeCell("专项辅导名单", "B2", "B3"); err != nil {
				t.Fatal(err)
			}
		}), want: "第2行有合并单元格（B2:B3）"},
		{name: "merged title above the heading is fine", raw: func() []byte {
			f := excelize.NewFile()
			defer f.Close()
			f.SetSheetName("Sheet1", "专项辅导名单")
			f.SetCellStr("专项辅导名单", "A1", "标题")
			f.MergeCell("专项辅导名单", "A1", "K1")
			head := make([]any, len(listColumns))
			for i, c := range listColumns {
				head[i] = c.head
			}
			f.SetSheetRow("专项辅导名单", "A2", &head)
			f.SetSheetRow("专项辅导名单", "A3", &row)
			var buf bytes.Buffer
			f.WriteTo(&buf)
			return buf.Bytes()
		}()},
		{name: "too many rows", raw: sheetFile(t, "专项辅导名单", many, nil), want: "超过5000行"},
		{name: "no heading", raw: sheetFile(t, "Sheet9", nil, func(f *excelize.File) {
			f.SetSheetRow("Sheet9", "A1", &[]any{"a", "b", "c"})
		}), want: "没有找到名单的表头"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := ReadImport(tc.raw)
			var fe *FileError
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if len(rows) != 1 || rows[0].Name != "甲纺织有限公司" {
					t.Fatalf("rows = %+v", rows)
				}
				return
			}
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a FileError containing %q", err, tc.want)
			}
			if !strings.Contains(fe.Reason, tc.want) {
				t.Errorf("reason %q, want one containing %q", fe.Reason, tc.want)
			}
		})
	}
}

// A date Excel took for a date comes back as the day it shows.
func TestReadImportDateCell(t *testing.T) {
	raw := sheetFile(t, "专项辅导名单", [][]any{{1, "柯桥", "甲纺织有限公司"}}, func(f *excelize.File) {
		if err := f.SetCellValue("专项辅导名单", "I2", 46642.0); err != nil { // 2027-09-12
			t.Fatal(err)
		}
		st, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
		f.SetCellStyle("专项辅导名单", "I2", "I2", st)
	})
	rows, err := ReadImport(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got := rows[0].Values[data.DetailDate]; got != "2027-09-12" {
		t.Errorf("date = %q, want 2027-09-12", got)
	}
}

// The export itself sent back (it holds the 名单 too): the names of the two
// 名单 come back and nothing else, neither the 共N家 line under each list
// nor the rows of 记录明细, which has a 名称 column but is no 名单 (its
// stations would have come back as tutored enterprises).
func TestExportSentBack(t *testing.T) {
	c := campaign(t)
	s := openStore(t, c)
	seed(t, s)
	in, err := Load(context.Background(), s, c, "柯桥", seedNow)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Workbook(&buf, in); err != nil {
		t.Fatal(err)
	}
	rows, err := ReadImport(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Sheet != SheetCultured && r.Sheet != SheetTutoring {
			t.Errorf("a row of %s read: %+v", r.Sheet, r)
		}
	}
	plan, err := s.PlanImport(context.Background(), c, data.Person{UserID: 200, Role: data.RoleCounty, County: "柯桥"}, rows)
	if err != nil {
		t.Fatal(err)
	}
	if !plan.Empty() || len(plan.Errors) != 0 {
		t.Errorf("plan of the export sent back = %+v, want nothing to import", plan)
	}
}

// A workbook of the 1904 date system (old Mac Excel) counts its date
// serials from 1904: the day shown is the day read, not four years off.
func TestReadImportDate1904(t *testing.T) {
	raw := sheetFile(t, "专项辅导名单", [][]any{{1, "柯桥", "甲纺织有限公司"}}, func(f *excelize.File) {
		yes := true
		if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}); err != nil {
			t.Fatal(err)
		}
		if err := f.SetCellValue("专项辅导名单", "I2", 45180.0); err != nil { // 2027-09-12 from 1904
			t.Fatal(err)
		}
		st, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
		f.SetCellStyle("专项辅导名单", "I2", "I2", st)
		if v, _ := f.GetCellValue("专项辅导名单", "I2"); v != "09-12-27" {
			t.Fatalf("Excel would show %q", v)
		}
	})
	rows, err := ReadImport(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got := rows[0].Values[data.DetailDate]; got != "2027-09-12" {
		t.Errorf("date = %q, want 2027-09-12", got)
	}
}

// A hidden sheet (last year's list, kept out of sight) is not what the
// sender sees, and is not read.
func TestReadImportHiddenSheet(t *testing.T) {
	raw := sheetFile(t, "专项辅导名单", [][]any{{1, "柯桥", "甲纺织有限公司"}}, func(f *excelize.File) {
		if _, err := f.NewSheet("去年名单"); err != nil {
			t.Fatal(err)
		}
		head := make([]any, len(listColumns))
		for i, c := range listColumns {
			head[i] = c.head
		}
		f.SetSheetRow("去年名单", "A1", &head)
		f.SetSheetRow("去年名单", "A2", &[]any{1, "柯桥", "旧纺织有限公司"})
		if err := f.SetSheetVisible("去年名单", false); err != nil {
			t.Fatal(err)
		}
	})
	rows, err := ReadImport(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Name != "甲纺织有限公司" {
		t.Errorf("rows = %+v, want only the visible sheet's", rows)
	}
}
