// Package export writes the lists due on 30 September as a spreadsheet: the
// progress table in the shape of 附件1 with a chart, the cultivated units
// (培育名单) and the tutored enterprises (专项辅导名单), laid out to print on A4.
package export

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"tsbot/data"
)

// Sheet names, in the order of the workbook.
const (
	SheetProgress = "进度"
	SheetCultured = "培育名单"
	SheetTutoring = "专项辅导名单"
)

// Input is everything a workbook shows, read once so that its sheets agree.
type Input struct {
	Campaign      *data.Campaign
	County        string // "" for the whole city
	Totals        map[string]data.Counts
	Names         []data.Listed
	Confirmations map[string]data.Confirmation
	AsOf          time.Time
}

// Load reads the totals, the lists and the sign-offs of one county ("" for
// the whole city) from the store, with the roster's names of their authors.
func Load(ctx context.Context, s *data.Store, c *data.Campaign, county string, now time.Time) (Input, error) {
	totals, err := s.Totals(ctx)
	if err != nil {
		return Input{}, fmt.Errorf("export: %w", err)
	}
	names, err := s.Names(ctx, county)
	if err != nil {
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
	return Input{Campaign: c, County: county, Totals: totals, Names: names, Confirmations: confs, AsOf: now}, nil
}

// FileName is the name the document goes by: 商业秘密保护名单_柯桥_20270920.xlsx.
func FileName(c *data.Campaign, county string, now time.Time) string {
	who := county
	if who == "" {
		who = "全市"
	}
	return fmt.Sprintf("商业秘密保护名单_%s_%s.xlsx", who, now.In(c.Location).Format("20060102"))
}

// headings of the four indicators as 附件1 spells them.
var headings = [data.NumIndicators]string{
	"省级商业秘密保护示范区", "省级商业秘密保护示范站(点)", "市、县级商业秘密保护示范站(点)", "企业商业秘密保护专项辅导",
}

// levels names the level of a cultivated unit on the 培育名单.
var levels = [data.NumIndicators]string{"省级示范区", "省级示范站", "市县级示范站", ""}

const timeLayout = "2006-01-02 15:04"

// Workbook writes the .xlsx of in to w.
func Workbook(w io.Writer, in Input) error {
	f := excelize.NewFile()
	defer f.Close()
	b := &book{f: f, in: in}
	if err := b.build(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("export: write: %w", err)
	}
	return nil
}

type book struct {
	f                 *excelize.File
	in                Input
	title, head, body int // style ids
	num, total        int
	counties          []data.County
	missing           map[int64]bool // stations not on the tutoring list, by name id
}

func (b *book) build() error {
	c := b.in.Campaign
	for _, co := range c.Counties {
		if b.in.County == "" || co.Name == b.in.County {
			b.counties = append(b.counties, co)
		}
	}
	b.missing = map[int64]bool{}
	for _, l := range data.MissingFromTutoring(b.in.Names) {
		b.missing[l.ID] = true
	}
	if err := b.styles(); err != nil {
		return err
	}
	if err := b.f.SetDefaultFont("宋体"); err != nil {
		return err
	}
	if err := b.f.SetSheetName("Sheet1", SheetProgress); err != nil {
		return err
	}
	for _, s := range []string{SheetCultured, SheetTutoring} {
		if _, err := b.f.NewSheet(s); err != nil {
			return err
		}
	}
	if err := b.progress(); err != nil {
		return err
	}
	if err := b.cultured(); err != nil {
		return err
	}
	if err := b.tutoring(); err != nil {
		return err
	}
	return nil
}

func (b *book) styles() error {
	border := []excelize.Border{{Type: "left", Color: "000000", Style: 1}, {Type: "right", Color: "000000", Style: 1},
		{Type: "top", Color: "000000", Style: 1}, {Type: "bottom", Color: "000000", Style: 1}}
	center := &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}
	left := &excelize.Alignment{Vertical: "center", WrapText: true}
	var err error
	mk := func(s *excelize.Style) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = b.f.NewStyle(s)
		return id
	}
	b.title = mk(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 16, Family: "宋体"}, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}})
	b.head = mk(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 11, Family: "宋体"}, Alignment: center, Border: border,
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}}})
	b.body = mk(&excelize.Style{Font: &excelize.Font{Size: 11, Family: "宋体"}, Alignment: left, Border: border})
	b.num = mk(&excelize.Style{Font: &excelize.Font{Size: 11, Family: "宋体"}, Alignment: center, Border: border})
	b.total = mk(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 11, Family: "宋体"}, Alignment: center, Border: border})
	return err
}

// page sets A4, fit to one page wide, and the rows repeated on every page.
func (b *book) page(sheet string, landscape bool, titleRows string) error {
	size, fitW, fitH := 9, 1, 0 // 9 is A4
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
	m := 0.5
	if err := b.f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{Left: &m, Right: &m, Top: &m, Bottom: &m}); err != nil {
		return err
	}
	return b.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: fmt.Sprintf("'%s'!%s", sheet, titleRows), Scope: sheet})
}

func (b *book) titleText(what string) string {
	c := b.in.Campaign
	who := c.Name
	if b.in.County != "" {
		who += " " + b.in.County
	}
	return fmt.Sprintf("%s %s（截至%s）", who, what, b.in.AsOf.In(c.Location).Format("2006年1月2日 15:04"))
}

// progress is 附件1 with the figures: target, done and gap per indicator.
func (b *book) progress() error {
	f, s := b.f, SheetProgress
	if err := b.page(s, true, "$2:$3"); err != nil {
		return err
	}
	const last = "O"
	if err := f.SetCellValue(s, "A1", b.titleText("进度表")); err != nil {
		return err
	}
	if err := f.MergeCell(s, "A1", last+"1"); err != nil {
		return err
	}
	if err := f.SetCellStyle(s, "A1", "A1", b.title); err != nil {
		return err
	}
	if err := f.SetRowHeight(s, 1, 30); err != nil {
		return err
	}
	head := []any{"区、县(市)"}
	sub := []any{nil}
	for _, h := range headings {
		head = append(head, h, nil, nil)
		sub = append(sub, "目标", "完成", "差距")
	}
	head = append(head, "名单确认", "提示")
	if err := f.SetSheetRow(s, "A2", &head); err != nil {
		return err
	}
	if err := f.SetSheetRow(s, "A3", &sub); err != nil {
		return err
	}
	for _, m := range [][2]string{{"A2", "A3"}, {"B2", "D2"}, {"E2", "G2"}, {"H2", "J2"}, {"K2", "M2"}, {"N2", "N3"}, {"O2", "O3"}} {
		if err := f.MergeCell(s, m[0], m[1]); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(s, "A2", last+"3", b.head); err != nil {
		return err
	}
	if err := f.SetRowHeight(s, 2, 45); err != nil {
		return err
	}
	row := 4
	var sumDone, sumTarget data.Counts
	for _, co := range b.counties {
		d := b.in.Totals[co.Name]
		sumDone, sumTarget = sumDone.Add(d), sumTarget.Add(co.Target)
		vals := figures(co.Name, co.Target, d)
		vals = append(vals, b.confirmText(co.Name), b.notes(co.Name, d))
		if err := f.SetSheetRow(s, fmt.Sprintf("A%d", row), &vals); err != nil {
			return err
		}
		if err := f.SetCellStyle(s, fmt.Sprintf("A%d", row), fmt.Sprintf("M%d", row), b.num); err != nil {
			return err
		}
		if err := f.SetCellStyle(s, fmt.Sprintf("N%d", row), fmt.Sprintf("%s%d", last, row), b.body); err != nil {
			return err
		}
		row++
	}
	firstRow, lastRow := 4, row-1
	if b.in.County == "" {
		vals := figures("合计", sumTarget, sumDone)
		vals = append(vals, fmt.Sprintf("已确认%d/%d", b.confirmedCount(), len(b.counties)), "")
		if err := f.SetSheetRow(s, fmt.Sprintf("A%d", row), &vals); err != nil {
			return err
		}
		if err := f.SetCellStyle(s, fmt.Sprintf("A%d", row), fmt.Sprintf("%s%d", last, row), b.total); err != nil {
			return err
		}
		row++
	}
	note := "单位：个（企业专项辅导：家）。目标为最低要求，超额完成不计差距；辅导服务企业数含培育数。"
	if err := f.SetCellValue(s, fmt.Sprintf("A%d", row), note); err != nil {
		return err
	}
	if err := f.MergeCell(s, fmt.Sprintf("A%d", row), fmt.Sprintf("%s%d", last, row)); err != nil {
		return err
	}
	if err := f.SetColWidth(s, "A", "A", 11); err != nil {
		return err
	}
	if err := f.SetColWidth(s, "B", "M", 7); err != nil {
		return err
	}
	if err := f.SetColWidth(s, "N", "N", 16); err != nil {
		return err
	}
	if err := f.SetColWidth(s, "O", "O", 36); err != nil {
		return err
	}
	if err := f.SetPanes(s, &excelize.Panes{Freeze: true, YSplit: 3, XSplit: 1, TopLeftCell: "B4", ActivePane: "bottomRight"}); err != nil {
		return err
	}
	return b.chart(row+2, firstRow, lastRow)
}

// figures is one row of 附件1: the county, then target, done and gap of each indicator.
func figures(name string, target, done data.Counts) []any {
	out := []any{name}
	for _, ind := range data.Indicators {
		out = append(out, target[ind], done[ind], max(0, target[ind]-done[ind]))
	}
	return out
}

// chart compares done with the target per county: one cluster per county.
func (b *book) chart(at, first, last int) error {
	s := SheetProgress
	cats := fmt.Sprintf("'%s'!$A$%d:$A$%d", s, first, last)
	var series []excelize.ChartSeries
	for i, ind := range data.Indicators {
		if ind == data.Zone || ind == data.ProvincialStation {
			continue // a target of 0 or 1: the bars would be invisible beside the others
		}
		col := 2 + 3*i // the target column of the indicator
		for k, what := range []string{"目标", "完成"} {
			c, _ := excelize.ColumnNumberToName(col + k)
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

func (b *book) confirmedCount() int {
	n := 0
	for _, co := range b.counties {
		if _, ok := b.in.Confirmations[co.Name]; ok {
			n++
		}
	}
	return n
}

func (b *book) confirmText(county string) string {
	conf, ok := b.in.Confirmations[county]
	if !ok {
		return "未确认"
	}
	s := fmt.Sprintf("%s %s确认", who(conf.UserName, conf.UserID), conf.CreatedAt.In(b.in.Campaign.Location).Format("1月2日"))
	if conf.Late {
		s += "（逾期）"
	}
	return s
}

// notes flags what the lists lack: unnamed units, and stations missing from
// the tutoring list (note 1 of the notice).
func (b *book) notes(county string, done data.Counts) string {
	var named data.Counts
	var missing []string
	for _, l := range b.in.Names {
		if l.County != county {
			continue
		}
		named[l.Indicator]++
		if b.missing[l.ID] {
			missing = append(missing, l.Name)
		}
	}
	var parts []string
	for _, ind := range data.Indicators {
		if n := done[ind] - named[ind]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s未具名%d%s", ind.Name(), n, ind.Unit()))
		}
	}
	if len(missing) > 0 {
		parts = append(parts, fmt.Sprintf("%d个示范站未列入辅导名单：%s", len(missing), strings.Join(missing, "、")))
	}
	return strings.Join(parts, "；")
}

// sorted keeps the names of the workbook, ordered by the campaign's county order, then indicator, then
// the order they were added.
func (b *book) sorted(keep func(data.Listed) bool) []data.Listed {
	order := map[string]int{}
	for i, co := range b.in.Campaign.Counties {
		order[co.Name] = i
	}
	var out []data.Listed
	for _, l := range b.in.Names {
		if (b.in.County == "" || l.County == b.in.County) && keep(l) {
			out = append(out, l)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if oi, oj := order[out[i].County], order[out[j].County]; oi != oj {
			return oi < oj
		}
		if out[i].Indicator != out[j].Indicator {
			return out[i].Indicator < out[j].Indicator
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// list writes a sheet of names with the stream writer: thousands of rows
// cost little memory.
func (b *book) list(sheet string, landscape bool, heads []string, widths []float64, rows []data.Listed, cells func(n int, l data.Listed) []any) error {
	if err := b.page(sheet, landscape, "$1:$1"); err != nil {
		return err
	}
	sw, err := b.f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	for i, w := range widths {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	head := make([]any, len(heads))
	for i, h := range heads {
		head[i] = excelize.Cell{StyleID: b.head, Value: h}
	}
	if err := sw.SetRow("A1", head, excelize.RowOpts{Height: 20}); err != nil {
		return err
	}
	cell := make([]byte, 0, 16)
	for i, l := range rows {
		cell = append(cell[:0], 'A')
		cell = fmt.Appendf(cell, "%d", i+2)
		if err := sw.SetRow(string(cell), cells(i+1, l), excelize.RowOpts{StyleID: b.body}); err != nil {
			return err
		}
	}
	return sw.Flush()
}

func (b *book) cultured() error {
	rows := b.sorted(func(l data.Listed) bool { return l.Indicator != data.Tutoring })
	loc := b.in.Campaign.Location
	return b.list(SheetCultured, true,
		[]string{"序号", "区、县(市)", "级别", "名称", "记录时间", "记录人", "逾期", "提示"},
		[]float64{6, 11, 14, 44, 17, 10, 6, 18}, rows,
		func(n int, l data.Listed) []any {
			note := ""
			if b.missing[l.ID] {
				note = "未列入专项辅导名单"
			}
			return []any{n, l.County, levels[l.Indicator], l.Name, l.CreatedAt.In(loc).Format(timeLayout), who(l.UserName, l.UserID), lateMark(l.Late), note}
		})
}

func (b *book) tutoring() error {
	rows := b.sorted(func(l data.Listed) bool { return l.Indicator == data.Tutoring })
	loc := b.in.Campaign.Location
	return b.list(SheetTutoring, false,
		[]string{"序号", "区、县(市)", "企业名称", "记录时间", "记录人", "逾期"},
		[]float64{6, 11, 44, 17, 10, 6}, rows,
		func(n int, l data.Listed) []any {
			return []any{n, l.County, l.Name, l.CreatedAt.In(loc).Format(timeLayout), who(l.UserName, l.UserID), lateMark(l.Late)}
		})
}

func lateMark(late bool) string {
	if late {
		return "逾期"
	}
	return ""
}

func who(name string, id int64) string {
	if name != "" {
		return name
	}
	return fmt.Sprint(id)
}
