// Package export writes the lists due on 30 September as a spreadsheet, laid
// out to print on A4 and stamp: the progress table in the shape of 附件1
// (进度), the cultivated units (培育名单) and the tutored enterprises
// (专项辅导名单) with the columns the province checks, and the bookkeeping
// behind them (记录明细: who recorded what and when) for the contact person.
package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"tsbot/data"
)

// Sheet names, in the order of the workbook.
const (
	SheetProgress = "进度"
	SheetCultured = "培育名单"
	SheetTutoring = "专项辅导名单"
	SheetRecords  = "记录明细"
)

// Input is everything a workbook shows, read once so that its sheets agree.
type Input struct {
	Campaign      *data.Campaign
	County        string // "" for the whole city
	Totals        map[string]data.Counts
	Names         []data.Listed
	Details       map[data.Unit]data.Details
	Confirmations map[string]data.Confirmation
	AsOf          time.Time
}

// Load reads the totals, the lists, their attributes and the sign-offs of
// one county ("" for the whole city) from the store, with the roster's
// names of their authors.
func Load(ctx context.Context, s *data.Store, c *data.Campaign, county string, now time.Time) (Input, error) {
	totals, err := s.Totals(ctx)
	if err != nil {
		return Input{}, fmt.Errorf("export: %w", err)
	}
	// The two long reads side by side, on two of the pool's connections
	// (readers do not block each other in WAL mode).
	var details map[data.Unit]data.Details
	var detailsErr error
	read := make(chan struct{})
	go func() {
		defer close(read)
		details, detailsErr = s.Details(ctx, county)
	}()
	names, err := s.ListedRows(ctx, county)
	<-read
	if err = errors.Join(err, detailsErr); err != nil {
		return Input{}, fmt.Errorf("export: %w", err)
	}
	confs, err := s.Confirmations(ctx)
	if err != nil {
		return Input{}, fmt.Errorf("export: %w", err)
	}
	// An official document: whoever recorded a name is shown by their
	// roster name, also on rows written under a Telegram nickname.
	people, err := s.RosterNames(ctx)
	if err != nil {
		return Input{}, fmt.Errorf("export: %w", err)
	}
	people.Listed(names)
	people.Confirmations(confs)
	for u, d := range details {
		d.UserName = people.Of(d.UserID, d.UserName)
		details[u] = d
	}
	return Input{Campaign: c, County: county, Totals: totals, Names: names, Details: details, Confirmations: confs, AsOf: now}, nil
}

// FileName is the name the document goes by: 商业秘密保护名单_柯桥_20270920.xlsx.
func FileName(c *data.Campaign, county string, now time.Time) string {
	who := county
	if who == "" {
		who = "全市"
	}
	return fmt.Sprintf("商业秘密保护名单_%s_%s.xlsx", who, now.In(c.Location).Format("20060102"))
}

// headings of the four indicators as 附件1 spells them, broken where the
// notice breaks 企业商业秘密/保护专项辅导: between words, never inside one.
var headings = [data.NumIndicators]string{
	"省级商业秘密\n保护示范区", "省级商业秘密\n保护示范站(点)", "市、县级商业秘密\n保护示范站(点)", "企业商业秘密\n保护专项辅导",
}

// levels names the level of a cultivated unit on the 培育名单.
var levels = [data.NumIndicators]string{"省级示范区", "省级示范站", "市县级示范站", ""}

// The notes of 附件1, verbatim from the notice.
const noticeNotes = "备注:1.各区、县(市)辅导服务企业数含培育数;2.下达的培育任务是各地要完成的最低目标数。"

const timeLayout = "2006-01-02 15:04"

// Fonts a Chinese office has: 黑体 for headings, 宋体 for the tables, 仿宋
// for the notes and the lines to fill in by hand.
const (
	fontHeading = "黑体"
	fontBody    = "宋体"
	fontNote    = "仿宋"
)

// Workbook writes the .xlsx of in to w.
func Workbook(w io.Writer, in Input) error {
	f := excelize.NewFile()
	defer f.Close()
	b := &book{f: f, in: in}
	f.SetZipWriter(func(w io.Writer) excelize.ZipWriter { return newParallelZip(w, b.rowParts) })
	if err := b.build(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("export: write: %w", err)
	}
	return nil
}

type book struct {
	f        *excelize.File
	in       Input
	st       styles
	counties []data.County
	missing  map[int64]bool         // stations not on the tutoring list, by name id
	details  map[int64]data.Details // the attributes of each name, by name id
	ordered  []data.Listed          // the names in the order of the lists (sorted)
	named    map[string]data.Counts // the named count per county and indicator
	missed   map[string][]string    // per county, the stations missing from the tutoring list
	rowParts []*rowsPart            // the rows of the lists, spliced into their sheets by the zip writer
}

type styles struct {
	attach, title, unit, asOf int // above a table
	head, num, text, total    int // the table
	note, sign                int // below it
}

func (b *book) build() error {
	b.prepare()
	b.countNames()
	if err := b.styles(); err != nil {
		return err
	}
	if err := b.f.SetDefaultFont(fontBody); err != nil {
		return err
	}
	if err := b.f.SetSheetName("Sheet1", SheetProgress); err != nil {
		return err
	}
	for _, s := range []string{SheetCultured, SheetTutoring, SheetRecords} {
		if _, err := b.f.NewSheet(s); err != nil {
			return err
		}
	}
	if err := b.progress(); err != nil {
		return err
	}
	return b.writeLists(b.cultured(), b.tutoring(), b.records())
}

// countNames counts, once for every sheet, the named per county and
// indicator, and the stations each county's tutoring list misses.
func (b *book) countNames() {
	b.named, b.missed = map[string]data.Counts{}, map[string][]string{}
	for _, l := range b.in.Names {
		n := b.named[l.County]
		n[l.Indicator]++
		b.named[l.County] = n
		if b.missing[l.ID] {
			b.missed[l.County] = append(b.missed[l.County], l.Name)
		}
	}
}

func (b *book) styles() error {
	border := []excelize.Border{{Type: "left", Color: "000000", Style: 1}, {Type: "right", Color: "000000", Style: 1},
		{Type: "top", Color: "000000", Style: 1}, {Type: "bottom", Color: "000000", Style: 1}}
	center := &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}
	left := &excelize.Alignment{Vertical: "center", WrapText: true}
	font := func(family string, size float64) *excelize.Font { return &excelize.Font{Family: family, Size: size} }
	var err error
	mk := func(s *excelize.Style) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = b.f.NewStyle(s)
		return id
	}
	b.st = styles{
		attach: mk(&excelize.Style{Font: font(fontHeading, 14), Alignment: &excelize.Alignment{Vertical: "center"}}),
		title:  mk(&excelize.Style{Font: font(fontHeading, 18), Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}),
		unit:   mk(&excelize.Style{Font: font(fontBody, 11), Alignment: &excelize.Alignment{Vertical: "bottom"}}),
		asOf:   mk(&excelize.Style{Font: font(fontBody, 11), Alignment: &excelize.Alignment{Horizontal: "right", Vertical: "bottom"}}),
		head:   mk(&excelize.Style{Font: font(fontHeading, 11), Alignment: center, Border: border}),
		num:    mk(&excelize.Style{Font: font(fontBody, 11), Alignment: center, Border: border}),
		text:   mk(&excelize.Style{Font: font(fontBody, 11), Alignment: left, Border: border}),
		total:  mk(&excelize.Style{Font: font(fontHeading, 11), Alignment: center, Border: border}),
		note:   mk(&excelize.Style{Font: font(fontNote, 11), Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}}),
		sign:   mk(&excelize.Style{Font: font(fontNote, 12), Alignment: &excelize.Alignment{Vertical: "bottom"}}),
	}
	return err
}

// page sets A4, fit to one page wide (and tall, for the progress table),
// the rows repeated on every page, and page N of M in the footer.
func (b *book) page(sheet string, landscape, onePage bool, titleRows string) error {
	size, fitW, fitH := 9, 1, 0 // 9 is A4; a fit height of 0 is as many pages as needed
	if onePage {
		fitH = 1
	}
	orient := "portrait"
	if landscape {
		orient = "landscape"
	}
	fit := true
	if err := b.f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	if err := b.f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Size: &size, Orientation: &orient, FitToWidth: &fitW, FitToHeight: &fitH}); err != nil {
		return err
	}
	side, top, hf, yes := 0.6, 0.8, 0.4, true
	if err := b.f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{Left: &side, Right: &side, Top: &top, Bottom: &top,
		Header: &hf, Footer: &hf, Horizontally: &yes}); err != nil {
		return err
	}
	if err := b.f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{OddFooter: "&C&\"" + fontBody + "\"&10第 &P 页，共 &N 页"}); err != nil {
		return err
	}
	return b.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: fmt.Sprintf("'%s'!%s", sheet, titleRows), Scope: sheet})
}

func (b *book) asOfText() string {
	return "截至" + b.in.AsOf.In(b.in.Campaign.Location).Format("2006年1月2日 15:04")
}

// scope is whose document it is: 全市, or the county's full name.
func (b *book) scope() string {
	if b.in.County == "" {
		return "全市"
	}
	for _, co := range b.counties {
		if co.FullName != "" {
			return co.FullName
		}
	}
	return b.in.County
}

// cell is the name of the cell at column col (1 is A) and row.
func cell(col, row int) string {
	name, _ := excelize.CoordinatesToCellName(col, row)
	return name
}

// Column widths of the progress table: 序号, 区、县(市), then target, done
// and gap of each indicator.
const (
	progressCols = 2 + 3*data.NumIndicators
	wNumber      = 5.0
	wCounty      = 12.0
	wFigure      = 8.5
)

// progress is 附件1 with the figures: target, done and gap per indicator,
// the notice's notes, and the lines to sign. Below the printed form, on the
// screen only, a chart of done against target. A few dozen rows with a
// chart and merged headings: written as a normal sheet, not streamed.
func (b *book) progress() error {
	f, s := b.f, SheetProgress
	last := progressCols
	p := sheetPen{f: f, sheet: s}
	if err := b.page(s, true, true, "$4:$5"); err != nil {
		return err
	}
	if err := b.progressHead(p); err != nil {
		return err
	}
	row, err := b.progressRows(p, 6)
	if err != nil {
		return err
	}
	firstRow, lastRow := 6, row-1
	if b.in.County == "" {
		lastRow-- // the chart compares the counties, not 合计
	}
	if row, err = b.progressNotes(row, p.put, p.merge); err != nil {
		return err
	}
	if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Area",
		RefersTo: fmt.Sprintf("'%s'!$A$1:$%s$%d", s, colName(last), row-1), Scope: s}); err != nil {
		return err
	}
	if err := b.progressLayout(); err != nil {
		return err
	}
	if err := p.put(1, row+1, "以下不打印：各区县完成与目标对比图。名单确认、未具名等提示见“"+SheetRecords+"”。", b.st.unit); err != nil {
		return err
	}
	return b.chart(row+2, firstRow, lastRow)
}

// sheetPen writes single cells of a normal (not streamed) sheet.
type sheetPen struct {
	f     *excelize.File
	sheet string
}

func (p sheetPen) merge(c1, r1, c2, r2 int) error {
	return p.f.MergeCell(p.sheet, cell(c1, r1), cell(c2, r2))
}

func (p sheetPen) put(col, row int, v any, style int) error {
	if err := p.f.SetCellValue(p.sheet, cell(col, row), v); err != nil {
		return err
	}
	return p.f.SetCellStyle(p.sheet, cell(col, row), cell(col, row), style)
}

// progressHead is the form's top: 附件1, the title, the unit and as-of
// line, and the two heading rows (an indicator over its target, done, gap).
func (b *book) progressHead(p sheetPen) error {
	f, s, last := b.f, SheetProgress, progressCols
	title := b.in.Campaign.Name + "进度表"
	if b.in.County != "" {
		title += "（" + b.scope() + "）"
	}
	for _, c := range []struct {
		col, row, to int // to: the last column of the merge, 0 for none
		text         string
		style        int
	}{{1, 1, 0, "附件1", b.st.attach}, {1, 2, last, title, b.st.title}, {1, 3, 6, "单位：个", b.st.unit}, {7, 3, last, b.asOfText(), b.st.asOf}} {
		if err := p.put(c.col, c.row, c.text, c.style); err != nil {
			return err
		}
		if c.to != 0 {
			if err := p.merge(c.col, c.row, c.to, c.row); err != nil {
				return err
			}
		}
	}
	for _, h := range []struct{ row, height int }{{1, 24}, {2, 40}, {3, 22}, {4, 36}, {5, 20}} {
		if err := f.SetRowHeight(s, h.row, float64(h.height)); err != nil {
			return err
		}
	}
	head := []any{"序号", "区、县(市)"}
	sub := []any{"", ""}
	for _, h := range headings {
		head = append(head, h, "", "")
		sub = append(sub, "目标", "完成", "差距")
	}
	if err := f.SetSheetRow(s, "A4", &head); err != nil {
		return err
	}
	if err := f.SetSheetRow(s, "A5", &sub); err != nil {
		return err
	}
	merges := [][4]int{{1, 4, 1, 5}, {2, 4, 2, 5}}
	for i := range data.NumIndicators {
		merges = append(merges, [4]int{3 + 3*i, 4, 5 + 3*i, 4})
	}
	for _, m := range merges {
		if err := p.merge(m[0], m[1], m[2], m[3]); err != nil {
			return err
		}
	}
	return f.SetCellStyle(s, "A4", cell(last, 5), b.st.head)
}

// progressRows writes a row per county from row on, and for the city the
// 合计 row; it returns the row after them.
func (b *book) progressRows(p sheetPen, row int) (int, error) {
	f, s, last := b.f, SheetProgress, progressCols
	city := data.StandCity(b.in.Campaign, b.in.Totals)
	line := func(vals []any, style int) error {
		if err := f.SetSheetRow(s, cell(1, row), &vals); err != nil {
			return err
		}
		if err := f.SetCellStyle(s, cell(1, row), cell(last, row), style); err != nil {
			return err
		}
		return f.SetRowHeight(s, row, 22)
	}
	for i, co := range b.counties {
		st, _ := city.County(co.Name)
		if err := line(append([]any{i + 1}, figures(co.Name, st)...), b.st.num); err != nil {
			return 0, err
		}
		row++
	}
	if b.in.County == "" {
		// 合计: the sums, and the sum of the counties' gaps (data.CityStanding).
		if err := line(append([]any{"合计"}, figures("", city.Total)...), b.st.total); err != nil {
			return 0, err
		}
		if err := p.merge(1, row, 2, row); err != nil {
			return 0, err
		}
		row++
	}
	return row, nil
}

// progressLayout is the column widths and the frozen headings.
func (b *book) progressLayout() error {
	f, s := b.f, SheetProgress
	if err := f.SetColWidth(s, "A", "A", wNumber); err != nil {
		return err
	}
	if err := f.SetColWidth(s, "B", "B", wCounty); err != nil {
		return err
	}
	if err := f.SetColWidth(s, "C", colName(progressCols), wFigure); err != nil {
		return err
	}
	return f.SetPanes(s, &excelize.Panes{Freeze: true, YSplit: 5, XSplit: 2, TopLeftCell: "C6", ActivePane: "bottomRight"})
}

// progressNotes writes, from row on, the notice's 备注, the note on the gaps
// and the signature lines; it returns the row after them.
func (b *book) progressNotes(row int, put func(col, row int, v any, style int) error, merge func(c1, r1, c2, r2 int) error) (int, error) {
	f, s, last := b.f, SheetProgress, progressCols
	width := wNumber + wCounty + wFigure*3*data.NumIndicators
	gapNote := "注：差距为目标减完成，完成数达到或超过目标的记0。"
	if b.in.County == "" {
		gapNote += "合计行的目标、完成为各区、县(市)之和；合计差距为各区、县(市)差距之和，" +
			"一地超额不抵他地差距（下达的任务是各地的最低目标数）。"
	}
	for _, text := range []string{noticeNotes, gapNote} {
		if err := put(1, row, text, b.st.note); err != nil {
			return 0, err
		}
		if err := merge(1, row, last, row); err != nil {
			return 0, err
		}
		if err := f.SetRowHeight(s, row, rowHeight(width, 11, text)); err != nil {
			return 0, err
		}
		row++
	}
	row++ // a blank line before the signatures
	half := 2 + 3*2
	for _, pair := range [][2]string{
		{"填报单位（盖章）：", "填报人："},
		{"联系电话：", "填报日期：      年    月    日"},
	} {
		if err := put(1, row, pair[0], b.st.sign); err != nil {
			return 0, err
		}
		if err := merge(1, row, half, row); err != nil {
			return 0, err
		}
		if err := put(half+1, row, pair[1], b.st.sign); err != nil {
			return 0, err
		}
		if err := merge(half+1, row, last, row); err != nil {
			return 0, err
		}
		if err := f.SetRowHeight(s, row, 30); err != nil {
			return 0, err
		}
		row++
	}
	return row, nil
}

func colName(col int) string {
	name, _ := excelize.ColumnNumberToName(col)
	return name
}

// figures is the rest of one row of 附件1: the county, then target, done
// and gap of each indicator.
func figures(name string, s data.Standing) []any {
	out := []any{name}
	for _, ind := range data.Indicators {
		out = append(out, s.Target[ind], s.Done[ind], s.Gap[ind])
	}
	return out
}

// textWidth is the width of s in column units: a Chinese character takes
// two, a digit or Latin letter one.
func textWidth(s string) float64 {
	if !utf8.ValidString(s) {
		return runeWidth(s)
	}
	// Valid UTF-8, by its bytes: a rune below U+1100 is one unit, any
	// other two. A lead byte E1 is U+1000 to U+1FFF: below U+1100 when the
	// next byte is below 0x84.
	w := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x80, c >= 0xC0 && c < 0xE1:
			w++
		case c == 0xE1:
			if s[i+1] < 0x84 {
				w++
			} else {
				w += 2
			}
		case c >= 0xE2:
			w += 2
		}
	}
	return float64(w)
}

// runeWidth is textWidth rune by rune.
func runeWidth(s string) float64 {
	w := 0.0
	for _, r := range s {
		if r < 0x1100 {
			w++
		} else {
			w += 2
		}
	}
	return w
}

// lineCount is how many lines s takes in a cell width units wide, wrapped.
func lineCount(width float64, s string) int {
	n := 0
	for more := true; more; {
		var p string
		p, s, more = strings.Cut(s, "\n")
		// A cell keeps about half a unit of padding.
		n += max(1, int(textWidth(p)/(width-0.5)+0.999))
	}
	return n
}

// rowHeight is the height, in points, of a row whose text s (in a font of
// size points) wraps in width units: Excel and LibreOffice do not grow a
// row to its text by themselves when cells are merged or rows written ahead.
func rowHeight(width, size float64, s string) float64 {
	return min(maxRowHeight, float64(lineCount(width, s))*size*1.45+6)
}

// maxRowHeight is the tallest row a spreadsheet allows, in points.
const maxRowHeight = 409

// chart compares done with the target per county: one cluster per county.
func (b *book) chart(at, first, last int) error {
	s := SheetProgress
	cats := fmt.Sprintf("'%s'!$B$%d:$B$%d", s, first, last)
	var series []excelize.ChartSeries
	for i, ind := range data.Indicators {
		if ind == data.Zone || ind == data.ProvincialStation {
			continue // a target of 0 or 1: the bars would be invisible beside the others
		}
		col := 3 + 3*i // the target column of the indicator
		for k, what := range []string{"目标", "完成"} {
			c := colName(col + k)
			series = append(series, excelize.ChartSeries{
				Name:       fmt.Sprintf("%s%s", shortName(ind), what),
				Categories: cats,
				Values:     fmt.Sprintf("'%s'!$%s$%d:$%s$%d", s, c, first, c, last),
			})
		}
	}
	return b.f.AddChart(s, fmt.Sprintf("A%d", at), &excelize.Chart{
		Type:      excelize.Col,
		Series:    series,
		Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "各区县完成与目标"}}},
		Legend:    excelize.ChartLegend{Position: "bottom"},
		Dimension: excelize.ChartDimension{Width: 720, Height: 300},
		Format:    excelize.GraphicOptions{OffsetX: 5, OffsetY: 5},
	})
}

func shortName(ind data.Indicator) string {
	if ind == data.Tutoring {
		return "专项辅导"
	}
	return ind.Name()
}

// column is one column of a sheet of names.
type column struct {
	head  string
	width float64
	num   bool // centred, like 序号
}

// listColumns are the columns the province checks on both lists.
var listColumns = []column{
	{"序号", 5, true}, {"区县", 7, true}, {"单位名称", 26, false}, {"统一社会信用代码", 23, true}, {"类型/级别", 13, true},
	{"地址", 26, false}, {"联系人", 8, true}, {"联系电话", 15, true}, {"辅导日期", 12, true}, {"辅导方式", 11, true}, {"备注", 14, false},
}

// The columns of a 名单, by their place in listColumns: the template and
// the import read them by these, and by nothing else.
const (
	colSeq = iota
	colCounty
	colUnit
	colCredit
	colLevel
	colAddress
	colContact
	colPhone
	colDate
	colMethod
	colNote
)

// listDetails are the columns of a 名单 that hold an attribute of the
// name (the 类型 is in colLevel, after the level of a cultivated unit).
var listDetails = map[int]data.DetailField{
	colCredit: data.DetailCreditCode, colAddress: data.DetailAddress, colContact: data.DetailContact,
	colPhone: data.DetailPhone, colDate: data.DetailDate, colMethod: data.DetailMethod, colNote: data.DetailNote,
}

// recordColumns are the bookkeeping of each name, for the contact person.
var recordColumns = []column{
	{"序号", 5, true}, {"区县", 7, true}, {"名单", 14, true}, {"名称", 30, false}, {"记录时间", 18, true},
	{"记录人", 9, true}, {"逾期", 6, true}, {"信息最近更新", 24, false}, {"提示", 30, false},
}
