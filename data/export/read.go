package export

// Reading a filled-in template back (xlsx in). Only what a 名单 can hold
// is taken: a file that is no xlsx, too big, with macros, formulas or
// merged cells among the names is refused whole, with the reason, before a
// row of it is looked at.

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"os"
	"path"
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

// partLimit is the most a part may unpack to.
func partLimit(name string) uint64 {
	switch {
	case strings.HasPrefix(name, "xl/worksheets/") || name == "xl/sharedstrings.xml":
		return maxPart
	case strings.HasPrefix(name, "xl/media/") || strings.HasPrefix(name, "xl/embeddings/") || strings.HasPrefix(name, "xl/pivotcache/") ||
		strings.HasSuffix(name, ".bin"):
		return maxUnzipped // not parsed (a pivot table's cache can be big)
	case strings.HasSuffix(name, ".xml") || strings.HasSuffix(name, ".rels") || strings.HasSuffix(name, ".vml"):
		return maxParsedPart
	}
	return maxUnzipped
}

// checkStrings counts the shared strings.
func checkStrings(zf *zip.File) error {
	rc, err := zf.Open()
	if err != nil {
		return &FileError{Reason: msgNotXLSX}
	}
	defer rc.Close()
	n, err := countTags(io.LimitReader(rc, maxPart+1), "si")
	if err != nil {
		return &FileError{Reason: msgNotXLSX}
	}
	if n > maxStrings {
		return &FileError{Reason: msgTooBig}
	}
	return nil
}

// countTags counts the start tags <name …> (with any prefix) in a stream
// of XML, a chunk at a time.
func countTags(r io.Reader, name string) (int, error) {
	n := 0
	buf := make([]byte, 64<<10)
	carry := 0
	for {
		m, err := r.Read(buf[carry:])
		chunk := buf[:carry+m]
		end := len(chunk)
		if err == nil {
			// a tag cut at the end of the chunk is counted with the next
			end = max(0, end-len(name)-64)
		}
		for i := 0; i < end; i++ {
			if chunk[i] != '<' {
				continue
			}
			if tag, _ := tagName(chunk[i+1:]); tag == name {
				n++
			}
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		carry = copy(buf, chunk[end:])
	}
}

// tagName is the local name of the tag at the start of b (after its "<"),
// and the rest of b after the name.
func tagName(b []byte) (string, []byte) {
	i := 0
	for i < len(b) && b[i] != ' ' && b[i] != '>' && b[i] != '/' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
		i++
	}
	name := b[:i]
	if k := bytes.LastIndexByte(name, ':'); k >= 0 {
		name = name[k+1:]
	}
	return string(name), b[i:]
}

// sheetScan is what checkParts finds in a worksheet.
type sheetScan struct {
	formula    string // the cell of the first formula
	hasFormula bool
	merges     []string
	cells      int // what reading its rows walks: each row as wide as its last cell
}

// scanSheet reads a worksheet's XML tag by tag. Cell text cannot hold a
// raw "<", so every "<" opens a tag.
func scanSheet(body []byte) sheetScan {
	var sc sheetScan
	col, wide := 0, 0
	cellRef := ""
	inData := false // in sheetData: a formula after it (<xm:f> of a drop-down list) is no cell's
	for i := bytes.IndexByte(body, '<'); i >= 0; {
		open := body[i+1:]
		// A comment, a CDATA section or a processing instruction ends at
		// its own end mark: a quote in it opens no value.
		if skip, ok := special(open); ok {
			next := -1
			if skip < len(open) {
				next = bytes.IndexByte(open[skip:], '<')
			}
			if next < 0 {
				break
			}
			i = len(body) - len(open) + skip + next
			continue
		}
		closing := len(open) > 0 && open[0] == '/'
		if closing {
			open = open[1:]
		}
		name, rest := tagName(open)
		end := tagEnd(rest)
		tag := rest[:end]
		switch {
		case name == "sheetData":
			inData = !closing && !bytes.HasSuffix(tag, []byte("/"))
		case closing:
		case name == "row":
			sc.cells += wide
			wide, col = 0, 0
		case name == "c":
			cellRef = attr(tag, "r")
			if c, _, err := excelize.CellNameToCoordinates(cellRef); err == nil {
				col = c
			} else {
				col, cellRef = col+1, "" // no reference a reply could name
			}
			wide = max(wide, col)
		case name == "f" && inData:
			sc.hasFormula = true
			if sc.formula == "" {
				sc.formula = cellRef
			}
		case name == "mergeCell":
			if ref := attr(tag, "ref"); ref != "" {
				sc.merges = append(sc.merges, ref)
			}
		}
		next := bytes.IndexByte(rest[end:], '<')
		if next < 0 {
			break
		}
		i = len(body) - len(rest) + end + next
	}
	sc.cells += wide
	return sc
}

// attr is the value of an attribute in a tag's text (all after its name),
// as XML reads it: attribute by attribute, spaces around each "=", a ">"
// or another attribute written inside a value, references in it
// (r="&#88;FD1" is XFD1).
func attr(tag []byte, name string) string {
	for rest := skipSpace(tag); len(rest) > 0; rest = skipSpace(rest) {
		k := 0
		for k < len(rest) && !isXMLSpace(rest[k]) && rest[k] != '=' && rest[k] != '>' && rest[k] != '/' {
			k++
		}
		key := string(rest[:k])
		rest = skipSpace(rest[k:])
		if len(rest) == 0 || rest[0] != '=' {
			return "" // the end of the tag, or no attribute
		}
		rest = skipSpace(rest[1:])
		if len(rest) == 0 || rest[0] != '"' && rest[0] != '\'' {
			return ""
		}
		end := bytes.IndexByte(rest[1:], rest[0])
		if end < 0 {
			return ""
		}
		if key == name {
			return html.UnescapeString(string(rest[1 : 1+end]))
		}
		rest = rest[2+end:]
	}
	return ""
}

// special is, for a comment, a CDATA section, a processing instruction or
// a declaration at the start of b (after its "<"), how far it reaches.
func special(b []byte) (int, bool) {
	for _, m := range []struct{ open, end string }{{"!--", "-->"}, {"![CDATA[", "]]>"}, {"?", "?>"}, {"!", ">"}} {
		if bytes.HasPrefix(b, []byte(m.open)) {
			if i := bytes.Index(b[len(m.open):], []byte(m.end)); i >= 0 {
				return len(m.open) + i + len(m.end), true
			}
			return len(b), true
		}
	}
	return 0, false
}

// tagEnd is where a tag's text ends: its ">", not one inside a quoted value.
func tagEnd(b []byte) int {
	var quote byte
	for i, c := range b {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i
		}
	}
	return len(b)
}

func isXMLSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

func skipSpace(b []byte) []byte {
	for len(b) > 0 && isXMLSpace(b[0]) {
		b = b[1:]
	}
	return b
}

// sheetPart is a sheet of the workbook and the part that holds it.
type sheetPart struct{ name, part string }

// sheetParts are the workbook's sheets, found the way excelize finds them:
// the workbook named by _rels/.rels, its sheets, their targets in its
// relationships.
func sheetParts(parts map[string]*zip.File) ([]sheetPart, error) {
	var root struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := decodePart(parts["_rels/.rels"], &root); err != nil {
		return nil, err
	}
	wbPath := ""
	for _, r := range root.Rels {
		if strings.HasSuffix(r.Type, "/officeDocument") {
			wbPath = strings.TrimPrefix(r.Target, "/")
			break
		}
	}
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			// r:id, in the namespace of Transitional or of Strict OOXML
			ID string `xml:"id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := decodePart(parts[wbPath], &wb); err != nil {
		return nil, err
	}
	relsPath := strings.TrimPrefix(path.Join(path.Dir(wbPath), "_rels", path.Base(wbPath)+".rels"), "/")
	var rels = root
	rels.Rels = nil
	if err := decodePart(parts[relsPath], &rels); err != nil {
		return nil, err
	}
	var out []sheetPart
	for _, s := range wb.Sheets {
		for _, r := range rels.Rels {
			if r.ID != s.ID {
				continue
			}
			p := strings.TrimPrefix(path.Clean(path.Dir(wbPath)+"/"+r.Target), "/")
			if strings.HasPrefix(r.Target, "/") {
				p = strings.TrimPrefix(path.Clean(r.Target), "/")
			}
			out = append(out, sheetPart{name: s.Name, part: p})
		}
	}
	return out, nil
}

// decodePart decodes a small part of the package; a missing one is no xlsx.
func decodePart(zf *zip.File, v any) error {
	if zf == nil {
		return &FileError{Reason: msgNotXLSX}
	}
	body, err := readPart(zf)
	if err != nil {
		return &FileError{Reason: msgNotXLSX}
	}
	if err := xml.Unmarshal(body, v); err != nil {
		return &FileError{Reason: msgNotXLSX}
	}
	return nil
}

func readPart(zf *zip.File) ([]byte, error) {
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	body, err := io.ReadAll(io.LimitReader(rc, maxPart+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxPart {
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
