package export

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/xuri/excelize/v2"

	"tsbot/data"
)

// The two 名单 sheets and 记录明细: what the province checks, and the
// bookkeeping for the contact person.

// sorted keeps the names of the workbook, ordered by the campaign's county
// order, then indicator, then the order they were added. The whole list is
// ordered once (Names come in the order they were added: a stable
// bucketing keeps it) and each sheet filters it; keep nil is all of them,
// not to be changed.
func (b *book) sorted(keep func(data.Listed) bool) []data.Listed {
	if b.ordered == nil {
		b.ordered = orderNames(b.in.Campaign, b.in.County, b.in.Names)
	}
	if keep == nil {
		return b.ordered
	}
	n := 0
	for _, l := range b.ordered {
		if keep(l) {
			n++
		}
	}
	out := make([]data.Listed, 0, n)
	for _, l := range b.ordered {
		if keep(l) {
			out = append(out, l)
		}
	}
	return out
}

// orderNames is names of county ("" for all) by county order, indicator,
// then id: names are sorted by id when they are not already.
func orderNames(c *data.Campaign, county string, names []data.Listed) []data.Listed {
	if !slices.IsSortedFunc(names, func(x, y data.Listed) int { return cmp.Compare(x.ID, y.ID) }) {
		names = slices.Clone(names)
		slices.SortFunc(names, func(x, y data.Listed) int { return cmp.Compare(x.ID, y.ID) })
	}
	order := map[string]int{}
	for i, co := range c.Counties {
		order[co.Name] = i
	}
	const perCounty = data.NumIndicators + 1 // the last for an indicator a later version added
	// A counting sort into the buckets: stable, and one copy of the names.
	keys := make([]int32, len(names))
	starts := make([]int, max(1, len(c.Counties))*perCounty+1)
	for i, l := range names {
		if county != "" && l.County != county {
			keys[i] = -1
			continue
		}
		// A county no longer in the config sorts with the first, as
		// sort.SliceStable on order[l.County] did.
		k := order[l.County]*perCounty + data.NumIndicators
		if l.Indicator.Valid() {
			k = order[l.County]*perCounty + int(l.Indicator)
		}
		keys[i] = int32(k)
		starts[k+1]++
	}
	for k := 1; k < len(starts); k++ {
		starts[k] += starts[k-1]
	}
	out := make([]data.Listed, starts[len(starts)-1])
	for i, l := range names {
		if k := keys[i]; k >= 0 {
			out[starts[k]] = l
			starts[k]++
		}
	}
	return out
}

// unnamed is how many of the counts of inds, in the workbook's counties,
// were recorded without names.
func (b *book) unnamed(inds ...data.Indicator) int {
	sum := 0
	for _, co := range b.counties {
		sum += data.Stand(co.Name, co.Target, b.in.Totals[co.Name]).Unnamed(b.named[co.Name]).Sum(inds...)
	}
	return sum
}

// listSheet is a titled table of names: the title, the as-of line, the
// heading row (repeated on every page), the rows, and lines under it.
type listSheet struct {
	name, title string
	cols        []column
	rows        int
	cells       func(i int) []string // the texts of row i; called from the sheet's own goroutine
	below       []string
}

// writeLists writes the sheets with stream writers (tens of thousands of
// rows cost little memory). The workbook-wide part (page setup, defined
// names, opening each stream) runs first, one sheet after another; then
// each sheet's rows are written in a goroutine of its own: a stream writer
// touches only its own sheet's buffer, and at 80,000 names the rows are
// most of the export.
func (b *book) writeLists(sheets ...listSheet) error {
	sws := make([]*excelize.StreamWriter, len(sheets))
	for i, ls := range sheets {
		if err := b.page(ls.name, true, false, fmt.Sprintf("$%d:$%d", headRow, headRow)); err != nil {
			return err
		}
		sw, err := b.f.NewStreamWriter(ls.name)
		if err != nil {
			return err
		}
		sws[i] = sw
	}
	nonce := rand.Uint64()
	b.rowParts = make([]*rowsPart, len(sheets))
	for i := range sheets {
		b.rowParts[i] = &rowsPart{marker: fmt.Sprintf("\uE000tsbot-rows-%d-%016x", i, nonce)}
	}
	errs := make([]error, len(sheets))
	var wg sync.WaitGroup
	for i := range sheets {
		wg.Go(func() { errs[i] = b.sheet(sws[i], sheets[i], b.rowParts[i]) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// sheet writes ls, its rows to part.
func (b *book) sheet(sw *excelize.StreamWriter, ls listSheet, part *rowsPart) error {
	title, cols, rows, cells, below := ls.title, ls.cols, ls.rows, ls.cells, ls.below
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
	if rows > 0 {
		// The rows are written ahead (rowsPart), in place of a marker row.
		if err := sw.SetRow(cell(1, headRow+1), []any{part.marker}); err != nil {
			return err
		}
		if err := b.rows(part, cols, rows, cells); err != nil {
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

// rows writes the rows of a sheet of names, from the row under the
// heading on, each as tall as its longest text, to part.
func (b *book) rows(part *rowsPart, cols []column, rows int, cells func(i int) []string) error {
	styles := make([]int, len(cols))
	for k, c := range cols {
		styles[k] = b.st.text
		if c.num {
			styles[k] = b.st.num
		}
	}
	part.written = true
	w := newRowsWriter(part)
	for i := range rows {
		texts := cells(i)
		if len(texts) != len(cols) {
			return fmt.Errorf("row %d: %d cells, want %d", i+1, len(texts), len(cols))
		}
		lines := 1
		for k, c := range cols {
			if t := texts[k]; t != "" && (textWidth(t) > c.width-1 || strings.Contains(t, "\n")) {
				lines = max(lines, lineCount(c.width, t))
			}
		}
		height := 22.0
		if lines > 1 {
			height = min(maxRowHeight, float64(lines)*11*1.45+6)
		}
		w.row(headRow+1+i, height, styles, texts)
	}
	return w.close()
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

func (b *book) cultured() listSheet {
	rows := b.sorted(func(l data.Listed) bool { return l.Indicator != data.Tutoring })
	unnamed := b.unnamed(data.Zone, data.ProvincialStation, data.CityStation)
	return listSheet{SheetCultured, fmt.Sprintf("%s名单（%s）", b.in.Campaign.Name, b.scope()), listColumns, len(rows),
		func(i int) []string { return b.listRow(i+1, rows[i], levels[rows[i].Indicator]) },
		[]string{fmt.Sprintf("共%d个；其中%d个未具名", len(rows)+unnamed, unnamed)}}
}

func (b *book) tutoring() listSheet {
	rows := b.sorted(func(l data.Listed) bool { return l.Indicator == data.Tutoring })
	unnamed := b.unnamed(data.Tutoring)
	return listSheet{SheetTutoring, fmt.Sprintf("企业商业秘密保护专项辅导名单（%s）", b.scope()), listColumns, len(rows),
		func(i int) []string { return b.listRow(i+1, rows[i], "") },
		[]string{fmt.Sprintf("共%d家；其中%d家未具名", len(rows)+unnamed, unnamed)}}
}

// records is the bookkeeping behind the lists: who recorded each name and
// when, late changes, hints; under the table, each county's sign-off and
// what its lists still lack.
func (b *book) records() listSheet {
	rows := b.sorted(nil)
	loc := b.in.Campaign.Location
	status := []string{"名单确认与提示："}
	for _, co := range b.counties {
		line := co.Name + "：" + b.confirmText(co.Name)
		if n := b.notes(co.Name); n != "" {
			line += "；" + n
		}
		status = append(status, line)
	}
	return listSheet{SheetRecords, fmt.Sprintf("名单记录明细（%s，供联系人核对，不随名单报送）", b.scope()), recordColumns, len(rows),
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
		status}
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
	done, named, missing := b.in.Totals[county], b.named[county], b.missed[county]
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
