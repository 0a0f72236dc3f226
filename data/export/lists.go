package export

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"tsbot/data"
)

// The two 名单 sheets and 记录明细: what the province checks, and the
// bookkeeping for the contact person.

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

// unnamed is how many of the counts of inds, in the workbook's counties,
// were recorded without names.
func (b *book) unnamed(inds ...data.Indicator) int {
	named := map[string]data.Counts{}
	for _, l := range b.in.Names {
		n := named[l.County]
		n[l.Indicator]++
		named[l.County] = n
	}
	sum := 0
	for _, co := range b.counties {
		sum += data.Stand(co.Name, co.Target, b.in.Totals[co.Name]).Unnamed(named[co.Name]).Sum(inds...)
	}
	return sum
}

// sheet writes a titled table with the stream writer (thousands of rows
// cost little memory): the title, the as-of line, the heading row (repeated
// on every page), the rows, each as tall as its longest text, and a line
// under the table.
func (b *book) sheet(name, title string, cols []column, rows int, cells func(i int) []string, below ...string) error {
	headRow := 3
	if err := b.page(name, true, false, fmt.Sprintf("$%d:$%d", headRow, headRow)); err != nil {
		return err
	}
	sw, err := b.f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	total := 0.0
	for i, c := range cols {
		if err := sw.SetColWidth(i+1, i+1, c.width); err != nil {
			return err
		}
		total += c.width
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: headRow, TopLeftCell: cell(1, headRow+1), ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	last := len(cols)
	if err := sw.SetRow("A1", []any{excelize.Cell{StyleID: b.st.title, Value: title}}, excelize.RowOpts{Height: 40}); err != nil {
		return err
	}
	if err := sw.MergeCell("A1", cell(last, 1)); err != nil {
		return err
	}
	if err := sw.SetRow("A2", []any{excelize.Cell{StyleID: b.st.asOf, Value: b.asOfText()}}, excelize.RowOpts{Height: 22}); err != nil {
		return err
	}
	if err := sw.MergeCell("A2", cell(last, 2)); err != nil {
		return err
	}
	head := make([]any, len(cols))
	for i, c := range cols {
		head[i] = excelize.Cell{StyleID: b.st.head, Value: c.head}
	}
	if err := sw.SetRow(cell(1, headRow), head, excelize.RowOpts{Height: 30}); err != nil {
		return err
	}
	vals := make([]any, len(cols))
	for i := range rows {
		texts := cells(i)
		lines := 1
		for k, c := range cols {
			style := b.st.text
			if c.num {
				style = b.st.num
			}
			var v any // an empty cell: its border, no string
			if texts[k] != "" {
				v = texts[k]
				if textWidth(texts[k]) > c.width-1 || strings.Contains(texts[k], "\n") {
					lines = max(lines, lineCount(c.width, texts[k]))
				}
			}
			vals[k] = excelize.Cell{StyleID: style, Value: v}
		}
		height := 22.0
		if lines > 1 {
			height = min(maxRowHeight, float64(lines)*11*1.45+6)
		}
		if err := sw.SetRow(cell(1, headRow+1+i), vals, excelize.RowOpts{Height: height}); err != nil {
			return err
		}
	}
	for k, text := range below {
		end := headRow + 1 + rows + k
		if err := sw.SetRow(cell(1, end), []any{excelize.Cell{StyleID: b.st.note, Value: text}}, excelize.RowOpts{Height: rowHeight(total, 11, text)}); err != nil {
			return err
		}
		if err := sw.MergeCell(cell(1, end), cell(last, end)); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// listRow is the columns of one name on a 名单: its attributes, the newest
// of each.
func (b *book) listRow(n int, l data.Listed, kind string) []string {
	d := b.details[l.ID]
	if k := d.Get(data.DetailKind); k != "" {
		if kind != "" {
			kind += "\n"
		}
		kind += k
	}
	out := make([]string, len(listColumns))
	out[colSeq], out[colCounty], out[colUnit], out[colLevel] = strconv.Itoa(n), l.County, l.Name, kind
	for col, f := range listDetails {
		out[col] = d.Get(f)
	}
	return out
}

func (b *book) cultured() error {
	rows := b.sorted(func(l data.Listed) bool { return l.Indicator != data.Tutoring })
	unnamed := b.unnamed(data.Zone, data.ProvincialStation, data.CityStation)
	return b.sheet(SheetCultured, fmt.Sprintf("%s名单（%s）", b.in.Campaign.Name, b.scope()), listColumns, len(rows),
		func(i int) []string { return b.listRow(i+1, rows[i], levels[rows[i].Indicator]) },
		fmt.Sprintf("共%d个；其中%d个未具名", len(rows)+unnamed, unnamed))
}

func (b *book) tutoring() error {
	rows := b.sorted(func(l data.Listed) bool { return l.Indicator == data.Tutoring })
	unnamed := b.unnamed(data.Tutoring)
	return b.sheet(SheetTutoring, fmt.Sprintf("企业商业秘密保护专项辅导名单（%s）", b.scope()), listColumns, len(rows),
		func(i int) []string { return b.listRow(i+1, rows[i], "") },
		fmt.Sprintf("共%d家；其中%d家未具名", len(rows)+unnamed, unnamed))
}

// records is the bookkeeping behind the lists: who recorded each name and
// when, late changes, hints; under the table, each county's sign-off and
// what its lists still lack.
func (b *book) records() error {
	rows := b.sorted(func(data.Listed) bool { return true })
	loc := b.in.Campaign.Location
	status := []string{"名单确认与提示："}
	for _, co := range b.counties {
		line := co.Name + "：" + b.confirmText(co.Name)
		if n := b.notes(co.Name); n != "" {
			line += "；" + n
		}
		status = append(status, line)
	}
	return b.sheet(SheetRecords, fmt.Sprintf("名单记录明细（%s，供联系人核对，不随名单报送）", b.scope()), recordColumns, len(rows),
		func(i int) []string {
			l := rows[i]
			list := "专项辅导名单"
			if l.Indicator != data.Tutoring {
				list = levels[l.Indicator]
			}
			updated := ""
			if d, ok := b.details[l.ID]; ok {
				updated = fmt.Sprintf("%s %s", who(d.UserName, d.UserID), d.UpdatedAt.In(loc).Format(timeLayout))
				if d.Late {
					updated += " 逾期"
				}
			}
			note := ""
			if b.missing[l.ID] {
				note = "未列入专项辅导名单"
			}
			return []string{strconv.Itoa(i + 1), l.County, list, l.Name, l.CreatedAt.In(loc).Format(timeLayout), who(l.UserName, l.UserID),
				lateMark(l.Late), updated, note}
		},
		status...)
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

// notes flags what a county's lists lack: unnamed units, and stations
// missing from the tutoring list (note 1 of the notice).
func (b *book) notes(county string) string {
	done := b.in.Totals[county]
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
		// The rows above flag each of them; a few names say which.
		const most = 5
		n, more := len(missing), ""
		if n > most {
			more, missing = "等", missing[:most]
		}
		parts = append(parts, fmt.Sprintf("%d个示范站未列入辅导名单：%s%s", n, strings.Join(missing, "、"), more))
	}
	return strings.Join(parts, "；")
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
