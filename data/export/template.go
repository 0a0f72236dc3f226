package export

// The template (/template): a county's two 名单 as a form to fill in on a
// PC and send back to the bot, with the names already recorded. The same
// columns as the 名单 of the export (listColumns, listRow), so that what is
// filled in is what is submitted.

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"tsbot/data"
)

// SheetHowTo is the template's sheet that says how to fill it in.
const SheetHowTo = "填写说明"

// templateBlank is how many empty rows, formatted as text, follow the
// names of each list: room for the new ones.
const templateBlank = 100

// headRow is the heading row of a 名单 sheet of the template.
const headRow = 3

// howTo is the 填写说明, a line per row.
var howTo = []string{
	"填写说明",
	"1. 在“培育名单”“专项辅导名单”两张表中补充或新增单位，填好后把本文件直接发给机器人。",
	"2. 已有的行可补充信用代码、联系人、电话等；新单位写在下面的空行里。已填的信息留空表示不变。",
	"3. 培育名单的“类型/级别”第一行写：省级示范区、省级示范站 或 市县级示范站；企业类型可写在第二行。",
	"4. 区县可不填（默认为本人所在区县）；市局填写时请写明区县。",
	"5. 统一社会信用代码按18位填写；电话写手机号或 0575-85134612；日期写 2027-09-12。",
	"6. 同一名称与已有单位像是同一家但确是另一家时，在名称后加“（另一家）”。",
	"7. 不要合并单元格，不要使用公式，不要删除表头；最多5000行，文件不超过5MB。",
	"8. 机器人先回复核对结果，确认导入后才写入；有错误的行须改正后重新发送。导入后可用 /undo 撤销。",
}

// TemplateName is the name the template goes by: 名单填报模板_柯桥_20270920.xlsx.
func TemplateName(c *data.Campaign, county string, now time.Time) string {
	who := county
	if who == "" {
		who = "全市"
	}
	return fmt.Sprintf("名单填报模板_%s_%s.xlsx", who, now.In(c.Location).Format("20060102"))
}

// Template writes the template of in to w: the 培育名单 and the 专项辅导名单
// with the names of in, empty rows for more, and the 填写说明.
func Template(w io.Writer, in Input) error {
	f := excelize.NewFile()
	defer f.Close()
	b := &book{f: f, in: in}
	if err := b.buildTemplate(); err != nil {
		return fmt.Errorf("export: template: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("export: write: %w", err)
	}
	return nil
}

func (b *book) buildTemplate() error {
	b.prepare()
	if err := b.styles(); err != nil {
		return err
	}
	if err := b.f.SetDefaultFont(fontBody); err != nil {
		return err
	}
	if err := b.f.SetSheetName("Sheet1", SheetCultured); err != nil {
		return err
	}
	for _, s := range []string{SheetTutoring, SheetHowTo} {
		if _, err := b.f.NewSheet(s); err != nil {
			return err
		}
	}
	cult := b.sorted(func(l data.Listed) bool { return l.Indicator != data.Tutoring })
	err := b.form(SheetCultured, fmt.Sprintf("%s名单（%s）填报模板", b.in.Campaign.Name, b.scope()), len(cult),
		func(i int) []string { return b.listRow(i+1, cult[i], levels[cult[i].Indicator]) })
	if err != nil {
		return err
	}
	dv := excelize.NewDataValidation(true)
	dv.Sqref = fmt.Sprintf("%s%d:%s%d", colName(colLevel+1), headRow+1, colName(colLevel+1), headRow+len(cult)+templateBlank)
	if err := dv.SetDropList([]string{levels[data.Zone], levels[data.ProvincialStation], levels[data.CityStation]}); err != nil {
		return err
	}
	if err := b.f.AddDataValidation(SheetCultured, dv); err != nil {
		return err
	}
	tut := b.sorted(func(l data.Listed) bool { return l.Indicator == data.Tutoring })
	err = b.form(SheetTutoring, fmt.Sprintf("企业商业秘密保护专项辅导名单（%s）填报模板", b.scope()), len(tut),
		func(i int) []string { return b.listRow(i+1, tut[i], "") })
	if err != nil {
		return err
	}
	for i, line := range howTo {
		if err := b.f.SetCellStr(SheetHowTo, cell(1, i+1), line); err != nil {
			return err
		}
	}
	return b.f.SetColWidth(SheetHowTo, "A", "A", 100)
}

// prepare works out what the sheets of names share: the counties shown,
// the stations missing from the tutoring list, the attributes by name.
func (b *book) prepare() {
	for _, co := range b.in.Campaign.Counties {
		if b.in.County == "" || co.Name == b.in.County {
			b.counties = append(b.counties, co)
		}
	}
	b.missing = map[int64]bool{}
	for _, l := range data.MissingFromTutoring(b.in.Names) {
		b.missing[l.ID] = true
	}
	b.details = map[int64]data.Details{}
	for _, l := range b.in.Names {
		if d, ok := b.in.Details[data.UnitOf(l)]; ok {
			b.details[l.ID] = d
		}
	}
}

// form writes one sheet of the template: a title, a line on how to send it
// back, the heading, the rows, and empty rows, every data cell text (a
// credit code, a phone, a date stay as typed). Nothing is merged: the
// title runs on over the empty cells beside it.
func (b *book) form(sheet, titleText string, rows int, cells func(i int) []string) error {
	f := b.f
	last := len(listColumns)
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49, Font: &excelize.Font{Family: fontBody, Size: 11},
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
		Border: []excelize.Border{{Type: "left", Color: "000000", Style: 1}, {Type: "right", Color: "000000", Style: 1},
			{Type: "top", Color: "000000", Style: 1}, {Type: "bottom", Color: "000000", Style: 1}}})
	if err != nil {
		return err
	}
	// The lines above the table run on to the right: no wrapping.
	title, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Family: fontHeading, Size: 16}, Alignment: &excelize.Alignment{Vertical: "center"}})
	if err != nil {
		return err
	}
	note, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Family: fontNote, Size: 11}, Alignment: &excelize.Alignment{Vertical: "center"}})
	if err != nil {
		return err
	}
	for i, c := range listColumns {
		if err := f.SetColWidth(sheet, colName(i+1), colName(i+1), c.width); err != nil {
			return err
		}
	}
	top := []struct {
		text   string
		style  int
		height float64
	}{{titleText, title, 36}, {"填好后把本文件直接发给机器人；先核对，确认后才导入。说明见“" + SheetHowTo + "”。", note, 22}}
	for i, t := range top {
		row := i + 1
		if err := f.SetCellStr(sheet, cell(1, row), t.text); err != nil {
			return err
		}
		if err := f.SetCellStyle(sheet, cell(1, row), cell(last, row), t.style); err != nil {
			return err
		}
		if err := f.SetRowHeight(sheet, row, t.height); err != nil {
			return err
		}
	}
	head := make([]any, last)
	for i, c := range listColumns {
		head[i] = c.head
	}
	if err := f.SetSheetRow(sheet, cell(1, headRow), &head); err != nil {
		return err
	}
	if err := f.SetCellStyle(sheet, cell(1, headRow), cell(last, headRow), b.st.head); err != nil {
		return err
	}
	for i := range rows {
		vals := make([]any, last)
		for k, v := range cells(i) {
			vals[k] = v
		}
		if err := f.SetSheetRow(sheet, cell(1, headRow+1+i), &vals); err != nil {
			return err
		}
	}
	end := headRow + rows + templateBlank
	for r := headRow + rows + 1; r <= end; r++ {
		if err := f.SetCellStr(sheet, cell(colSeq+1, r), strconv.Itoa(r-headRow)); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(sheet, cell(1, headRow+1), cell(last, end), text); err != nil {
		return err
	}
	return f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: headRow, TopLeftCell: cell(1, headRow+1), ActivePane: "bottomLeft"})
}
