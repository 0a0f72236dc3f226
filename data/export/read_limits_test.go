package export

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"tsbot/data"
)

// A file that is small but unpacks to much, or makes the reading walk far,
// is refused before excelize does the walking; memory stays bounded.

// rezip copies an xlsx, replacing parts by name (nil drops one) and adding
// the parts it did not hold.
func rezip(t testing.TB, raw []byte, parts map[string][]byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	put := func(name string, body []byte) {
		w, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	done := map[string]bool{}
	for _, f := range zr.File {
		done[f.Name] = true
		if body, ok := parts[f.Name]; ok {
			if body != nil {
				put(f.Name, body)
			}
			continue
		}
		if err := z.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range parts {
		if !done[name] && body != nil {
			put(name, body)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// part is one part of an xlsx, unpacked.
func part(t testing.TB, raw []byte, name string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatalf("no part %s", name)
	return nil
}

// sheetXML is a worksheet whose first row is the heading (inline strings,
// so that no shared string is needed), then rows, then what follows
// sheetData (merges).
func sheetXML(rows, after string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">`)
	for i, c := range listColumns {
		fmt.Fprintf(&b, `<c r="%s" t="inlineStr"><is><t>%s</t></is></c>`, cell(i+1, 1), c.head)
	}
	b.WriteString(`</row>` + rows + `</sheetData>` + after + `</worksheet>`)
	return []byte(b.String())
}

func inline(ref, v string) string {
	return fmt.Sprintf(`<c r="%s" t="inlineStr"><is><t>%s</t></is></c>`, ref, v)
}

func refused(t *testing.T, raw []byte, want string) {
	t.Helper()
	rows, err := ReadImport(raw)
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("read %d rows, err %v; want a refusal containing %q", len(rows), err, want)
	}
	if !strings.Contains(fe.Reason, want) {
		t.Errorf("reason %q, want one containing %q", fe.Reason, want)
	}
}

// Rows of one cell each, far to the right (XFD): every row read would be
// 16,384 cells wide. A 100 kB file made excelize allocate gigabytes.
func TestReadImportWideRows(t *testing.T) {
	var rows strings.Builder
	for r := 2; r <= 5000; r++ {
		fmt.Fprintf(&rows, `<row r="%d"><c r="XFD%d"><v>1</v></c></row>`, r, r)
	}
	raw := rezip(t, sheetFile(t, "专项辅导名单", nil, nil), map[string][]byte{"xl/worksheets/sheet1.xml": sheetXML(rows.String(), "")})
	refused(t, raw, "行列太多")
}

// Every sheet with a heading is read to its last row: many sheets, each
// with a row at 1,048,576, took a second per twenty sheets.
func TestReadImportManySheets(t *testing.T) {
	raw := sheetFile(t, "专项辅导名单", nil, nil)
	wb := string(part(t, raw, "xl/workbook.xml"))
	rels := string(part(t, raw, "xl/_rels/workbook.xml.rels"))
	var sheets, links strings.Builder
	parts := map[string][]byte{}
	for i := 2; i <= maxSheets+1; i++ {
		fmt.Fprintf(&sheets, `<sheet name="S%d" sheetId="%d" r:id="rIdS%d"/>`, i, i, i)
		fmt.Fprintf(&links, `<Relationship Id="rIdS%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet%d.xml"/>`, i, i)
		parts[fmt.Sprintf("xl/worksheets/sheet%d.xml", i)] = sheetXML("", "")
	}
	parts["xl/workbook.xml"] = []byte(strings.Replace(wb, "</sheets>", sheets.String()+"</sheets>", 1))
	parts["xl/_rels/workbook.xml.rels"] = []byte(strings.Replace(rels, "</Relationships>", links.String()+"</Relationships>", 1))
	refused(t, rezip(t, raw, parts), "工作表太多")
}

// A shared strings table of tiny strings: excelize keeps each one in
// memory (a 130 kB file took a gigabyte).
func TestReadImportSharedStringsBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	for range maxStrings + 1 {
		b.WriteString(`<si><t>a</t></si>`)
	}
	b.WriteString(`</sst>`)
	raw := rezip(t, sheetFile(t, "专项辅导名单", nil, nil), map[string][]byte{
		"xl/worksheets/sheet1.xml": sheetXML("", ""), "xl/sharedStrings.xml": []byte(b.String())})
	refused(t, raw, "解压后太大")
}

// The parts excelize reads whole on opening (the workbook, its styles) are
// small in any real file: a workbook of 2 MB of defined names is no 名单.
func TestReadImportParsedPartTooBig(t *testing.T) {
	raw := sheetFile(t, "专项辅导名单", nil, nil)
	var names strings.Builder
	names.WriteString("<definedNames>")
	for names.Len() < maxParsedPart+1 {
		names.WriteString(`<definedName name="a">1</definedName>`)
	}
	names.WriteString("</definedNames>")
	wb := strings.Replace(string(part(t, raw, "xl/workbook.xml")), "</sheets>", "</sheets>"+names.String(), 1)
	refused(t, rezip(t, raw, map[string][]byte{"xl/workbook.xml": []byte(wb)}), "解压后太大")
}

// Merged cells are found in the sheet's XML as it streams by: a big sheet
// with a merged title is not read into memory whole to find them.
func TestReadImportMergesOfABigSheet(t *testing.T) {
	var rows strings.Builder
	rows.WriteString(`<row r="2">` + inline("B2", "柯桥") + inline("C2", "甲纺织有限公司") + `</row>`)
	for r := 3; rows.Len() < 24<<20; r++ { // empty rows formatted down the sheet
		fmt.Fprintf(&rows, `<row r="%d">`, r)
		for c := 1; c <= len(listColumns); c++ {
			fmt.Fprintf(&rows, `<c r="%s" s="1"/>`, cell(c, r))
		}
		rows.WriteString(`</row>`)
	}
	raw := rezip(t, sheetFile(t, "专项辅导名单", nil, nil), map[string][]byte{
		"xl/worksheets/sheet1.xml": sheetXML(rows.String(), `<mergeCells count="1"><mergeCell ref="L1:M1"/></mergeCells>`)})
	var got []data.ImportRow
	var err error
	if peak := peakHeap(func() { got, err = ReadImport(raw) }); peak > 200<<20 {
		t.Errorf("reading a %d MB sheet took %d MB", rows.Len()>>20, peak>>20)
	}
	if err != nil || len(got) != 1 {
		t.Fatalf("rows %+v, err %v", got, err)
	}
}

// peakHeap is the most heap in use while run runs, sampled.
func peakHeap(run func()) uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	base, peak := m.HeapInuse, m.HeapInuse
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapInuse)
			}
		}
	}()
	run()
	close(stop)
	<-done
	return peak - min(base, peak)
}

// A worksheet may live anywhere the workbook points: it is checked for
// formulas and merged cells all the same, and an Excel 4.0 macro sheet is
// a macro.
func TestReadImportSheetElsewhere(t *testing.T) {
	move := func(body []byte) []byte {
		raw := sheetFile(t, "专项辅导名单", nil, nil)
		rels := strings.Replace(string(part(t, raw, "xl/_rels/workbook.xml.rels")), "worksheets/sheet1.xml", "other/list.xml", 1)
		ct := strings.Replace(string(part(t, raw, "[Content_Types].xml")), "/xl/worksheets/sheet1.xml", "/xl/other/list.xml", 1)
		return rezip(t, raw, map[string][]byte{"xl/worksheets/sheet1.xml": nil, "xl/other/list.xml": body,
			"xl/_rels/workbook.xml.rels": []byte(rels), "[Content_Types].xml": []byte(ct)})
	}
	row := `<row r="2">` + inline("B2", "柯桥") + inline("C2", "甲纺织有限公司") + `</row>`
	if rows, err := ReadImport(move(sheetXML(row, ""))); err != nil || len(rows) != 1 {
		t.Fatalf("a good sheet elsewhere: rows %+v, err %v", rows, err)
	}
	t.Run("a formula", func(t *testing.T) {
		refused(t, move(sheetXML(`<row r="2">`+inline("B2", "柯桥")+`<c r="C2" t="str"><f>"甲"&amp;"乙"</f><v>甲乙</v></c></row>`, "")), "有公式（C2）")
	})
	t.Run("merged names", func(t *testing.T) {
		two := row + `<row r="3">` + inline("B3", "柯桥") + `</row>`
		refused(t, move(sheetXML(two, `<mergeCells count="1"><mergeCell ref="C2:C3"/></mergeCells>`)), "合并单元格（C2:C3）")
	})
	t.Run("a macro sheet", func(t *testing.T) {
		raw := sheetFile(t, "专项辅导名单", nil, nil)
		ct := strings.Replace(string(part(t, raw, "[Content_Types].xml")), "</Types>",
			`<Override PartName="/xl/macrosheets/sheet1.xml" ContentType="application/vnd.ms-excel.macrosheet+xml"/></Types>`, 1)
		refused(t, rezip(t, raw, map[string][]byte{"[Content_Types].xml": []byte(ct), "xl/macrosheets/sheet1.xml": sheetXML("", "")}), "含有宏")
	})
}

// A workbook in the Strict form of OOXML names its sheets' relationships
// in another namespace; excelize reads it all the same, and so do the
// checks: every sheet excelize reads was looked at first.
func TestReadImportStrictWorkbook(t *testing.T) {
	var rows strings.Builder
	for r := 2; r <= 5000; r++ {
		fmt.Fprintf(&rows, `<row r="%d"><c r="XFD%d"><v>1</v></c></row>`, r, r)
	}
	raw := sheetFile(t, "专项辅导名单", nil, nil)
	wb := strings.ReplaceAll(string(part(t, raw, "xl/workbook.xml")), "http://schemas.openxmlformats.org/officeDocument/2006/relationships", "http://purl.oclc.org/ooxml/officeDocument/relationships")
	raw = rezip(t, raw, map[string][]byte{"xl/workbook.xml": []byte(wb), "xl/worksheets/sheet1.xml": sheetXML(rows.String(), "")})
	refused(t, raw, "行列太多")
}

// A zip may hold two entries of one name. excelize reads a big worksheet
// from its temporary file when the entry of the same name it holds in
// memory is empty: the checks read that empty one. No real xlsx has two.
func TestReadImportDuplicateEntries(t *testing.T) {
	var rows strings.Builder
	for r := 2; r <= 60000; r++ {
		fmt.Fprintf(&rows, `<row r="%d"><c r="XFD%d"><v>1</v></c></row>`, r, r)
	}
	good := sheetFile(t, "专项辅导名单", nil, nil)
	zr, err := zip.NewReader(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, f := range zr.File {
		if f.Name != "xl/worksheets/sheet1.xml" {
			if err := z.Copy(f); err != nil {
				t.Fatal(err)
			}
			continue
		}
		w, _ := z.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate})
		w.Write(sheetXML(rows.String(), ""))
		z.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate}) // the same name, empty
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	refused(t, buf.Bytes(), "不是 Excel 表格")
}

// A drop-down list drawn from another sheet, or a conditional format, is
// stored after the cells with a formula of its own (<xm:f>): it is no
// formula in a cell, and the file is read.
func TestReadImportFormulaOutsideCells(t *testing.T) {
	row := `<row r="2">` + inline("B2", "柯桥") + inline("C2", "甲纺织有限公司") + `</row>`
	ext := `<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">` +
		`<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><x14:dataValidation type="list" allowBlank="1">` +
		`<x14:formula1><xm:f>选项!$A$1:$A$3</xm:f></x14:formula1><xm:sqref>E2:E100</xm:sqref></x14:dataValidation></x14:dataValidations></ext></extLst>`
	raw := rezip(t, sheetFile(t, "专项辅导名单", nil, nil), map[string][]byte{"xl/worksheets/sheet1.xml": sheetXML(row, ext)})
	rows, err := ReadImport(raw)
	if err != nil || len(rows) != 1 {
		t.Fatalf("rows %+v, err %v", rows, err)
	}
}

// A refusal that names a sheet or a cell names them as they can be shown:
// what the file holds cannot make lines of the reply's own.
func TestReadImportRefusalQuotesSafely(t *testing.T) {
	t.Run("a formula's cell", func(t *testing.T) {
		row := `<row r="2"><c r="&#10;✅ 已导入" t="str"><f>1+1</f><v>2</v></c></row>`
		raw := rezip(t, sheetFile(t, "专项辅导名单", nil, nil), map[string][]byte{"xl/worksheets/sheet1.xml": sheetXML(row, "")})
		_, err := ReadImport(raw)
		var fe *FileError
		if !errors.As(err, &fe) || strings.Contains(fe.Reason, "\n") || !strings.Contains(fe.Reason, "有公式") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("a sheet with merged cells", func(t *testing.T) {
		raw := sheetFile(t, "专项辅导名单", nil, nil)
		wb := strings.Replace(string(part(t, raw, "xl/workbook.xml")), `name="专项辅导名单"`, `name="专项辅导名单&#10;✅ 已导入&#x202e;"`, 1)
		two := `<row r="2">` + inline("C2", "甲公司") + `</row><row r="3">` + inline("C3", "乙公司") + `</row>`
		raw = rezip(t, raw, map[string][]byte{"xl/workbook.xml": []byte(wb),
			"xl/worksheets/sheet1.xml": sheetXML(two, `<mergeCells count="1"><mergeCell ref="B2:B3"/></mergeCells>`)})
		_, err := ReadImport(raw)
		var fe *FileError
		if !errors.As(err, &fe) || strings.Contains(fe.Reason, "\n") || data.HasBidiControl(fe.Reason) || !strings.Contains(fe.Reason, "合并单元格") {
			t.Errorf("err = %v", err)
		}
	})
}

// A date cell written as an ISO 8601 date (t="d", as the Strict form and
// some programs write them) reads as its day.
func TestReadImportISODateCell(t *testing.T) {
	row := `<row r="2">` + inline("C2", "甲纺织有限公司") + `<c r="I2" t="d"><v>2027-09-12T00:00:00</v></c></row>`
	raw := rezip(t, sheetFile(t, "专项辅导名单", nil, nil), map[string][]byte{"xl/worksheets/sheet1.xml": sheetXML(row, "")})
	rows, err := ReadImport(raw)
	if err != nil || len(rows) != 1 {
		t.Fatalf("rows %+v, err %v", rows, err)
	}
	if got := rows[0].Values[data.DetailDate]; got != "2027-09-12" {
		t.Errorf("date = %q", got)
	}
}

// A file excelize gives up on after unpacking its big parts to temporary
// files leaves none of them behind: one such file sent again and again
// would fill the disk.
func TestReadImportLeavesNoTemporaryFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var rows strings.Builder
	for r := 2; rows.Len() < 2*inMemoryXML; r++ {
		fmt.Fprintf(&rows, `<row r="%d"><c r="A%d" s="1"/><c r="B%d" s="1"/></row>`, r, r, r)
	}
	big := rezip(t, sheetFile(t, "专项辅导名单", nil, nil), map[string][]byte{"xl/worksheets/sheet1.xml": sheetXML(rows.String(), "")})
	broken := rezip(t, big, map[string][]byte{"xl/calcChain.xml": []byte(`<calcChain><c r=`)})
	if _, err := ReadImport(broken); err == nil {
		t.Fatal("read a file with a broken calcChain.xml")
	}
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("%d temporary files left: %v", len(left), left[0].Name())
	}
}

// XML lets an attribute be written with spaces around its "=" and with
// character references in its value: the checks read it as excelize does.
func TestReadImportAttributesWrittenOddly(t *testing.T) {
	t.Run("wide rows", func(t *testing.T) {
		var rows strings.Builder
		for r := 2; r <= 5000; r++ {
			fmt.Fprintf(&rows, `<row r="%d"><c r = '&#88;FD%d'><v>1</v></c></row>`, r, r)
		}
		raw := rezip(t, sheetFile(t, "专项辅导名单", nil, nil), map[string][]byte{"xl/worksheets/sheet1.xml": sheetXML(rows.String(), "")})
		refused(t, raw, "行列太多")
	})
	t.Run("merged names", func(t *testing.T) {
		two := `<row r="2">` + inline("C2", "甲公司") + `</row><row r="3">` + inline("C3", "乙公司") + `</row>`
		raw := rezip(t, sheetFile(t, "专项辅导名单", nil, nil), map[string][]byte{
			"xl/worksheets/sheet1.xml": sheetXML(two, `<mergeCells count="1"><mergeCell ref =`+"\t"+`"B2:B3"/></mergeCells>`)})
		refused(t, raw, "合并单元格（B2:B3）")
	})
}

// A quote in a comment opens no attribute value that would hide the cells
// after it from the checks.
func TestReadImportQuoteInComment(t *testing.T) {
	var rows strings.Builder
	rows.WriteString(`<!-- ' -->`)
	for r := 2; r <= 5000; r++ {
		fmt.Fprintf(&rows, `<row r="%d"><c r="XFD%d"><v>1</v></c></row>`, r, r)
	}
	rows.WriteString(`<!-- ' -->`)
	raw := rezip(t, sheetFile(t, "专项辅导名单", nil, nil), map[string][]byte{"xl/worksheets/sheet1.xml": sheetXML(rows.String(), "")})
	refused(t, raw, "行列太多")
}

// A 名单 dressed up as offices do (a picture, a comment, a chart, a
// conditional format, a filter, a drop-down from another sheet, a link, rich
// text) passes the checks: they refuse what is wrong, not what is usual.
func TestReadImportRichWorkbook(t *testing.T) {
	raw := sheetFile(t, "专项辅导名单", [][]any{{1, "柯桥", "甲纺织有限公司"}, {2, "柯桥", "乙纺织有限公司"}}, func(f *excelize.File) {
		const s = "专项辅导名单"
		img := image.NewRGBA(image.Rect(0, 0, 8, 8))
		var pic bytes.Buffer
		if err := png.Encode(&pic, img); err != nil {
			t.Fatal(err)
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(f.AddPictureFromBytes(s, "M2", &excelize.Picture{Extension: ".png", File: pic.Bytes()}))
		must(f.AddComment(s, excelize.Comment{Cell: "C2", Author: "张三", Text: "待核对"}))
		must(f.AddChart(s, "M10", &excelize.Chart{Type: excelize.Col, Series: []excelize.ChartSeries{{Name: s + "!$A$1", Categories: s + "!$C$2:$C$3", Values: s + "!$A$2:$A$3"}}}))
		st, err := f.NewConditionalStyle(&excelize.Style{Font: &excelize.Font{Color: "9A0511"}})
		must(err)
		must(f.SetConditionalFormat(s, "A2:A3", []excelize.ConditionalFormatOptions{{Type: "cell", Criteria: ">", Format: &st, Value: "1"}}))
		must(f.AutoFilter(s, "A1:K3", nil))
		if _, err := f.NewSheet("选项"); err != nil {
			t.Fatal(err)
		}
		f.SetSheetRow("选项", "A1", &[]any{"上门辅导", "集中培训"})
		dv := excelize.NewDataValidation(true)
		dv.Sqref = "J2:J100"
		dv.SetSqrefDropList("选项!$A$1:$B$1")
		must(f.AddDataValidation(s, dv))
		must(f.SetCellHyperLink(s, "C3", "https://www.gsxt.gov.cn", "External"))
		must(f.SetCellRichText(s, "K2", []excelize.RichTextRun{{Text: "重点", Font: &excelize.Font{Bold: true}}, {Text: "企业"}}))
	})
	rows, err := ReadImport(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Values[data.DetailNote] != "重点企业" {
		t.Errorf("rows = %+v", rows)
	}
}

// Files LibreOffice wrote (testdata/libreoffice_*.xlsx: the template of
// 柯桥 opened and saved again, and a list of its own made from a CSV, its
// credit code and phone taken for numbers, beside a listed firm): another writer's XML passes
// the checks, and the numbers it made are told as such.
func TestReadImportLibreOfficeFiles(t *testing.T) {
	c := campaign(t)
	s := openStore(t, c)
	seed(t, s)
	staff := data.Person{UserID: 200, Role: data.RoleCounty, County: "柯桥"}
	read := func(name string) ([]data.ImportRow, data.ImportPlan) {
		t.Helper()
		raw, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := ReadImport(raw)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := s.PlanImport(context.Background(), c, staff, rows)
		if err != nil {
			t.Fatal(err)
		}
		return rows, plan
	}
	rows, plan := read("libreoffice_template.xlsx")
	if len(rows) != 7 || !plan.Empty() || len(plan.Errors) != 0 || plan.Same != 7 {
		t.Errorf("the template saved by LibreOffice: %d rows, plan %+v", len(rows), plan)
	}
	_, plan = read("libreoffice_own.xlsx")
	want := "信用代码被Excel改成了数字（请设为文本后重填）；电话开头的0被Excel去掉了（请设为文本后重填）"
	if len(plan.Errors) != 1 || plan.Errors[0].Row != 2 || plan.Errors[0].Reason != want || len(plan.Changes) != 1 {
		t.Errorf("the list made from a CSV: %+v", plan)
	}
}
