package export

// Reading a filled-in template back (xlsx in). Only what a 名单 can hold
// is taken: a file that is no xlsx, too big, with macros, formulas or
// merged cells among the names is refused whole, with the reason, before a
// row of it is looked at.

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/xuri/excelize/v2"

	"tsbot/data"
)

// FileError refuses a file as a whole; Reason is what the sender is told.
type FileError struct{ Reason string }

func (e *FileError) Error() string { return "export: import refused: " + e.Reason }

// NoList says the file is no 名单 at all, or cannot be told to be one (no
// spreadsheet, no heading of one, a password): in a group, a file shared
// among colleagues, not for the bot.
func (e *FileError) NoList() bool {
	return e.Reason == msgNotXLSX || e.Reason == msgOldXLS || e.Reason == msgNoHeadng || e.Reason == msgPassword
}

func refuse(format string, args ...any) error {
	return &FileError{Reason: fmt.Sprintf(format, args...)}
}

// Limits of what a file may unpack to, and of the work of reading it. A
// 5 MB xlsx of names unpacks to a few tens of MB; a zip bomb, or a small
// file that makes the reading walk far (a cell at column XFD on every row,
// a thousand sheets, a million tiny shared strings), is refused before
// excelize walks it.
const (
	maxUnzipped = 100 << 20
	// maxPart is a worksheet or the shared strings: excelize streams them
	// (from a temporary file beyond inMemoryXML).
	maxPart     = 50 << 20
	inMemoryXML = 1 << 20
	// maxParsedPart is any other part excelize reads whole on opening (the
	// workbook, its styles): small in any real file.
	maxParsedPart = 4 << 20
	maxSheets     = 50
	maxStrings    = 200_000 // shared strings: each is kept in memory
	// maxCells is how many cells reading the rows walks: excelize makes
	// each row as wide as its last cell.
	maxCells   = 2_000_000
	headSearch = 10 // the heading is looked for in the first rows
)

// Messages of the refusals.
const (
	msgNotXLSX  = "不是 Excel 表格（.xlsx），未导入。请用 /template 下载模板，填好后发回。"
	msgOldXLS   = "这是旧版 .xls 文件，未导入。请在 Excel 或 WPS 中另存为 .xlsx 再发。"
	msgPassword = "文件设了打开密码，未导入。请在 Excel 或 WPS 中取消打开密码后再发。"
	msgMacros   = "文件含有宏，未导入。请另存为不含宏的 .xlsx（Excel 工作簿）再发。"
	msgNoHeadng = "没有找到名单的表头（区县、单位名称……），未导入。请用 /template 下载的模板填写。"
)

// encryptedPackage is the name of the stream of an encrypted xlsx, in the
// UTF-16 of its container's directory.
var encryptedPackage = []byte("E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e\x00")

// ReadImport reads the 名单 sheets of a filled-in template: every sheet
// whose heading row has the columns of a 名单 (found by their headings,
// so a column moved or left out is no matter). A FileError says why a
// file is refused.
func ReadImport(raw []byte) ([]data.ImportRow, error) {
	if len(raw) > data.MaxImportBytes {
		return nil, refuse("文件超过%dMB，未导入。请删去名单以外的内容（如图片），或分成几个文件再发。", data.MaxImportBytes>>20)
	}
	if bytes.HasPrefix(raw, []byte{0xD0, 0xCF, 0x11, 0xE0}) {
		// An xlsx with a password to open it is kept in the same
		// container as an old .xls, as its stream EncryptedPackage.
		if bytes.Contains(raw, encryptedPackage) {
			return nil, &FileError{Reason: msgPassword}
		}
		return nil, &FileError{Reason: msgOldXLS}
	}
	if !bytes.HasPrefix(raw, []byte("PK\x03\x04")) {
		return nil, &FileError{Reason: msgNotXLSX}
	}
	merges, err := checkParts(raw)
	if err != nil {
		return nil, err
	}
	// excelize unpacks big parts to temporary files, and leaves them
	// behind when it gives up on a file half read: they go in a folder of
	// this reading's own, removed after it.
	tmp, err := os.MkdirTemp("", "tsbot-import-")
	if err != nil {
		return nil, fmt.Errorf("export: import temporary folder: %w", err)
	}
	defer os.RemoveAll(tmp)
	f, err := excelize.OpenReader(bytes.NewReader(raw), excelize.Options{UnzipSizeLimit: maxUnzipped, UnzipXMLSizeLimit: inMemoryXML, TmpDir: tmp})
	if err != nil {
		if f != nil {
			f.Close()
		}
		return nil, &FileError{Reason: msgNotXLSX}
	}
	defer f.Close()
	// A workbook of the 1904 date system (old Mac Excel) counts its
	// date serials from 1904.
	props, err := f.GetWorkbookProps()
	if err != nil {
		return nil, &FileError{Reason: msgNotXLSX}
	}
	date1904 := props.Date1904 != nil && *props.Date1904
	var out []data.ImportRow
	found := false
	for _, sheet := range f.GetSheetList() {
		if sheet == SheetRecords {
			continue // the export's bookkeeping: its 名称 are the 名单's again
		}
		if visible, err := f.GetSheetVisible(sheet); err == nil && !visible {
			continue // kept out of sight (last year's list): not what the sender sees
		}
		if _, ok := merges[sheet]; !ok {
			// A sheet excelize found where checkParts did not: it was
			// not checked, and is not read.
			return nil, &FileError{Reason: msgNotXLSX}
		}
		rows, ok, err := readSheet(f, sheet, merges[sheet], date1904, data.MaxImportRows-len(out))
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

const msgTooBig = "文件解压后太大，未导入。请只保留名单，另存为新的 .xlsx 再发。"

// checkParts looks into the zip before excelize does: what it unpacks to,
// macros (a VBA project, a macro-enabled type, an Excel 4.0 macro sheet),
// and in every worksheet the workbook points to, formulas, how far reading
// its rows walks, and its merged cells (by sheet name), read from its XML
// one part at a time: excelize would unmarshal a whole sheet for them.
func checkParts(raw []byte) (merges map[string][]string, err error) {
	z, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		return nil, &FileError{Reason: msgNotXLSX}
	}
	var total uint64
	byName := map[string]*zip.File{}
	for _, zf := range z.File {
		total += zf.UncompressedSize64
		name := strings.ToLower(zf.Name)
		if strings.HasSuffix(name, "vbaproject.bin") || strings.HasSuffix(name, ".bin") && strings.Contains(name, "vba") ||
			strings.Contains(name, "macrosheets/") {
			return nil, &FileError{Reason: msgMacros}
		}
		if zf.UncompressedSize64 > partLimit(name) || total > maxUnzipped {
			return nil, &FileError{Reason: msgTooBig}
		}
		// Two entries of one name: excelize may read the one the checks
		// did not (a big one from its temporary file, behind an empty one).
		key := strings.ReplaceAll(zf.Name, "\\", "/")
		if _, dup := byName[key]; dup {
			return nil, &FileError{Reason: msgNotXLSX}
		}
		byName[key] = zf
	}
	for _, zf := range z.File {
		if strings.EqualFold(zf.Name, "[Content_Types].xml") {
			body, err := readPart(zf)
			if err != nil {
				return nil, &FileError{Reason: msgNotXLSX}
			}
			low := bytes.ToLower(body)
			for _, macro := range []string{"macroenabled", "vbaproject", "macrosheet"} {
				if bytes.Contains(low, []byte(macro)) {
					return nil, &FileError{Reason: msgMacros}
				}
			}
		}
		if strings.EqualFold(zf.Name, "xl/sharedStrings.xml") {
			if err := checkStrings(zf); err != nil {
				return nil, err
			}
		}
	}
	sheets, err := sheetParts(byName)
	if err != nil {
		return nil, err
	}
	if len(sheets) > maxSheets {
		return nil, refuse("工作表太多（超过%d张），未导入。请只保留名单的工作表再发。", maxSheets)
	}
	merges = map[string][]string{}
	cells := 0
	for _, s := range sheets {
		zf := byName[s.part]
		if zf == nil {
			continue // excelize finds no such sheet either
		}
		body, err := readPart(zf)
		if err != nil {
			return nil, &FileError{Reason: msgNotXLSX}
		}
		sc := scanSheet(body)
		if sc.formula != "" {
			return nil, refuse("表格里有公式（%s），未导入。请把公式改成数值或文字（复制后“选择性粘贴→数值”）再发。", sc.formula)
		}
		if sc.hasFormula {
			return nil, refuse("表格里有公式，未导入。请把公式改成数值或文字（复制后“选择性粘贴→数值”）再发。")
		}
		if cells += sc.cells; cells > maxCells {
			return nil, refuse("表格的行列太多，未导入。请删除名单以外的行和列（或只复制名单到新表）再发。")
		}
		merges[s.name] = append([]string{}, sc.merges...) // present for every sheet checked
	}
	return merges, nil
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
func readSheet(f *excelize.File, sheet string, merges []string, date1904 bool, most int) ([]data.ImportRow, bool, error) {
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
				if err := checkMerges(sheet, merges, head); err != nil {
					return nil, false, err
				}
			}
			continue
		}
		r := importRow(sheet, n, list, cols, cells, date1904)
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

// plain is text of the file (a sheet's name) as a refusal quotes it: a
// line break, a control or a text-direction character is shown as "?".
func plain(s string) string {
	return strings.Map(func(r rune) rune {
		if data.IsBidiControl(r) || unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
}

// checkMerges refuses merged cells below the heading, where the names are:
// a cell merged down holds one value for rows that each need their own. A
// merge along one row (a note under the table, as the export's 共N家 line)
// gives no row another's value.
func checkMerges(sheet string, merged []string, head int) error {
	for _, m := range merged {
		from, to, ok := strings.Cut(m, ":")
		if !ok {
			continue
		}
		_, first, err1 := excelize.CellNameToCoordinates(from)
		_, last, err2 := excelize.CellNameToCoordinates(to)
		if err1 != nil || err2 != nil {
			continue
		}
		if last > head && last > first {
			return refuse("“%s”第%d行有合并单元格（%s），未导入。请取消合并，每行填一家再发。", plain(sheet), max(first, head+1), m)
		}
	}
	return nil
}

// importRow takes one row's cells by their columns.
func importRow(sheet string, n int, list data.ImportList, cols map[int]int, cells []string, date1904 bool) data.ImportRow {
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
			r.Values[data.DetailDate] = cellDate(v, date1904)
		default:
			if f, ok := listDetails[col]; ok {
				r.Values[f] = v
			}
		}
	}
	return r
}

// cellDate reads a date typed into a cell that Excel took for a date: its
// serial number, or an ISO 8601 date of a date cell, shown as 2027-09-12.
// Anything else stays as typed.
func cellDate(v string, date1904 bool) string {
	if t, err := time.Parse("2006-01-02T15:04:05", v); err == nil { // a date cell (t="d")
		return t.Format("2006-01-02")
	}
	serial, err := strconv.ParseFloat(v, 64)
	if err != nil || !(serial >= 1 && serial < 100000) { // not NaN; up to the year 2173
		return v
	}
	t, err := excelize.ExcelDateToTime(serial, date1904)
	if err != nil || t.Year() < 2000 || t.Year() >= 2100 {
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
