package export

// Reading a filled-in template back (xlsx in). Only what a 名单 can hold
// is taken: a file that is no xlsx, too big, with macros, formulas or
// merged cells among the names is refused whole, with the reason, before a
// row of it is looked at.

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"tsbot/data"
)

// FileError refuses a file as a whole; Reason is what the sender is told.
type FileError struct{ Reason string }

func (e *FileError) Error() string { return "export: import refused: " + e.Reason }

func refuse(format string, args ...any) error {
	return &FileError{Reason: fmt.Sprintf(format, args...)}
}

// Limits of what a file may unpack to: a 5 MB xlsx of names unpacks to a
// few tens of MB at most; a zip bomb does not get further.
const (
	maxUnzipped    = 100 << 20
	maxUnzippedXML = 50 << 20
	headSearch     = 10 // the heading is looked for in the first rows
)

// Messages of the refusals.
const (
	msgNotXLSX  = "不是 Excel 表格（.xlsx），未导入。请用 /template 下载模板，填好后发回。"
	msgOldXLS   = "这是旧版 .xls 文件，未导入。请在 Excel 或 WPS 中另存为 .xlsx 再发。"
	msgMacros   = "文件含有宏，未导入。请另存为不含宏的 .xlsx（Excel 工作簿）再发。"
	msgNoHeadng = "没有找到名单的表头（区县、单位名称……），未导入。请用 /template 下载的模板填写。"
)

// ReadImport reads the 名单 sheets of a filled-in template: every sheet
// whose heading row has the columns of a 名单 (found by their headings,
// so a column moved or left out is no matter). A FileError says why a
// file is refused.
func ReadImport(raw []byte) ([]data.ImportRow, error) {
	if len(raw) > data.MaxImportBytes {
		return nil, refuse("文件超过%dMB，未导入。", data.MaxImportBytes>>20)
	}
	if bytes.HasPrefix(raw, []byte{0xD0, 0xCF, 0x11, 0xE0}) {
		return nil, &FileError{Reason: msgOldXLS}
	}
	if !bytes.HasPrefix(raw, []byte("PK\x03\x04")) {
		return nil, &FileError{Reason: msgNotXLSX}
	}
	merges, err := checkParts(raw)
	if err != nil {
		return nil, err
	}
	f, err := excelize.OpenReader(bytes.NewReader(raw), excelize.Options{UnzipSizeLimit: maxUnzipped, UnzipXMLSizeLimit: maxUnzippedXML})
	if err != nil {
		return nil, &FileError{Reason: msgNotXLSX}
	}
	defer f.Close()
	var out []data.ImportRow
	found := false
	for _, sheet := range f.GetSheetList() {
		rows, ok, err := readSheet(f, sheet, merges, data.MaxImportRows-len(out))
		if err != nil {
			return nil, err
		}
		found = found || ok
		out = append(out, rows...)
	}
	if !found {
		return nil, &FileError{Reason: msgNoHeadng}
	}
	return out, nil
}

// formulaRe finds a formula in a worksheet's XML: an <f> element, with or
// without a namespace prefix. Cell text cannot hold a raw "<".
var formulaRe = regexp.MustCompile(`<([A-Za-z0-9_]+:)?f[\s>/]`)

// cellRefRe is the reference of the cell a formula is in.
var cellRefRe = regexp.MustCompile(`<(?:[A-Za-z0-9_]+:)?c\b[^>]*\br="([A-Z]+[0-9]+)"`)

// checkParts looks into the zip: macros (a VBA project, a macro-enabled
// type), what it unpacks to, and formulas in any worksheet. It reports
// whether any worksheet has merged cells: only then are they looked up,
// which reads a whole sheet into memory.
func checkParts(raw []byte) (merges bool, err error) {
	z, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		return false, &FileError{Reason: msgNotXLSX}
	}
	var total uint64
	for _, zf := range z.File {
		total += zf.UncompressedSize64
		name := strings.ToLower(zf.Name)
		if strings.HasSuffix(name, "vbaproject.bin") || strings.HasSuffix(name, ".bin") && strings.Contains(name, "vba") {
			return false, &FileError{Reason: msgMacros}
		}
	}
	if total > maxUnzipped {
		return false, refuse("文件解压后太大，未导入。")
	}
	for _, zf := range z.File {
		name := strings.ToLower(zf.Name)
		isSheet := strings.HasPrefix(name, "xl/worksheets/") && strings.HasSuffix(name, ".xml")
		if name != "[content_types].xml" && !isSheet {
			continue
		}
		body, err := readPart(zf)
		if err != nil {
			return false, &FileError{Reason: msgNotXLSX}
		}
		if !isSheet {
			if bytes.Contains(bytes.ToLower(body), []byte("macroenabled")) {
				return false, &FileError{Reason: msgMacros}
			}
			continue
		}
		merges = merges || bytes.Contains(body, []byte("mergeCell "))
		if loc := formulaRe.FindIndex(body); loc != nil {
			ref := ""
			if refs := cellRefRe.FindAllSubmatch(body[:loc[0]], -1); len(refs) > 0 {
				ref = "（" + string(refs[len(refs)-1][1]) + "）"
			}
			return false, refuse("表格里有公式%s，未导入。请把公式改成数值或文字（复制后“选择性粘贴→数值”）再发。", ref)
		}
	}
	return merges, nil
}

func readPart(zf *zip.File) ([]byte, error) {
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	body, err := io.ReadAll(io.LimitReader(rc, maxUnzippedXML+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxUnzippedXML {
		return nil, errors.New("export: part too large")
	}
	return body, nil
}

// headings maps what a heading cell may say to its column in listColumns.
var headingCols = func() map[string]int {
	m := map[string]int{}
	for i, c := range listColumns {
		m[headKey(c.head)] = i
	}
	for k, col := range map[string]int{"名称": colUnit, "企业名称": colUnit, "单位": colUnit, "信用代码": colCredit, "社会信用代码": colCredit,
		"类型": colLevel, "级别": colLevel, "电话": colPhone, "手机": colPhone, "日期": colDate, "方式": colMethod, "区县市": colCounty} {
		m[headKey(k)] = col
	}
	return m
}()

func headKey(s string) string {
	return strings.NewReplacer(" ", "", "\n", "", "\u3000", "", "（", "", "）", "", "(", "", ")", "", "、", "").Replace(strings.TrimSpace(s))
}

// readSheet reads the rows of one sheet under its heading; ok is false for
// a sheet without one. most is how many more data rows the file may have.
func readSheet(f *excelize.File, sheet string, merges bool, most int) ([]data.ImportRow, bool, error) {
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, false, &FileError{Reason: msgNotXLSX}
	}
	defer rows.Close()
	list := data.ListAny
	switch {
	case strings.Contains(sheet, "培育"):
		list = data.ListCultured
	case strings.Contains(sheet, "辅导"):
		list = data.ListTutoring
	}
	var cols map[int]int // cell index → column of listColumns
	head := 0
	var out []data.ImportRow
	for n := 1; rows.Next(); n++ {
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, false, &FileError{Reason: msgNotXLSX}
		}
		if cols == nil {
			if n > headSearch {
				return nil, false, nil
			}
			if cols = headingRow(cells); cols != nil {
				head = n
				if err := checkMerges(f, sheet, merges, head); err != nil {
					return nil, false, err
				}
			}
			continue
		}
		r := importRow(sheet, n, list, cols, cells)
		if blank(r) {
			continue
		}
		if len(out) == most {
			return nil, false, refuse("超过%d行，未导入。请分成几个文件发送。", data.MaxImportRows)
		}
		out = append(out, r)
	}
	if err := rows.Error(); err != nil {
		return nil, false, &FileError{Reason: msgNotXLSX}
	}
	return out, cols != nil, nil
}

// headingRow maps a row's cells to the columns of a 名单, or says it is no
// heading (it must have 单位名称).
func headingRow(cells []string) map[int]int {
	cols := map[int]int{}
	for i, c := range cells {
		if col, ok := headingCols[headKey(c)]; ok {
			cols[i] = col
		}
	}
	for _, col := range cols {
		if col == colUnit {
			return cols
		}
	}
	return nil
}

// checkMerges refuses merged cells below the heading, where the names are:
// a merged cell holds one value for rows that each need their own.
func checkMerges(f *excelize.File, sheet string, hasMerges bool, head int) error {
	if !hasMerges {
		return nil
	}
	merged, err := f.GetMergeCells(sheet)
	if err != nil {
		return &FileError{Reason: msgNotXLSX}
	}
	for _, m := range merged {
		_, last, err := excelize.CellNameToCoordinates(m.GetEndAxis())
		if err != nil {
			continue
		}
		if last > head {
			_, first, _ := excelize.CellNameToCoordinates(m.GetStartAxis())
			return refuse("“%s”第%d行有合并单元格（%s），未导入。请取消合并，每行填一家再发。", sheet, max(first, head+1), m.GetStartAxis()+":"+m.GetEndAxis())
		}
	}
	return nil
}

// importRow takes one row's cells by their columns.
func importRow(sheet string, n int, list data.ImportList, cols map[int]int, cells []string) data.ImportRow {
	r := data.ImportRow{Sheet: sheet, Row: n, List: list}
	for i, v := range cells {
		col, ok := cols[i]
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch col {
		case colCounty:
			r.County = v
		case colUnit:
			r.Name = v
		case colLevel:
			r.Level = v
		case colDate:
			r.Values[data.DetailDate] = cellDate(v)
		default:
			if f, ok := listDetails[col]; ok {
				r.Values[f] = v
			}
		}
	}
	return r
}

// cellDate reads a date typed into a cell that Excel took for a date: its
// serial number, shown as 2027-09-12. Anything else stays as typed.
func cellDate(v string) string {
	serial, err := strconv.ParseFloat(v, 64)
	if err != nil || serial < 36526 || serial > 73051 { // 2000-01-01 to 2100-01-01
		return v
	}
	t, err := excelize.ExcelDateToTime(serial, false)
	if err != nil {
		return v
	}
	return t.Format("2006-01-02")
}

// blank is a row with nothing typed in it but its 序号 and 区县 (the
// template numbers its empty rows).
func blank(r data.ImportRow) bool {
	if strings.TrimSpace(r.Name+r.Level) != "" {
		return false
	}
	for _, v := range r.Values {
		if v != "" {
			return false
		}
	}
	return true
}
