package bot

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"tsbot/data"
)

// progressLine is one indicator of one county against its target, e.g.
// 柯桥 企业专项辅导 8/20 ▓▓▓▓░░░░░░ 还差12家
func progressLine(c *data.Campaign, county string, ind data.Indicator, done int) string {
	var d data.Counts
	d[ind] = done
	s := data.StandCounty(c, county, d)
	return fmt.Sprintf("%s %s %d/%d %s %s", county, ind.Name(), done, s.Target[ind], bar(done, s.Target[ind]), gapText(s, ind))
}

// gapText says how far a figure is from its target. Targets are minimums, so
// going over is "exceeded", never an error.
func gapText(s data.Standing, ind data.Indicator) string {
	switch {
	case s.NoTarget(ind):
		return "无指标"
	case s.Gap[ind] > 0:
		return fmt.Sprintf("还差%d%s", s.Gap[ind], ind.Unit())
	case s.Surplus[ind] == 0:
		return "已完成 ✅"
	}
	return fmt.Sprintf("已完成，超额%d%s ✅", s.Surplus[ind], ind.Unit())
}

// bar draws ten cells of progress.
func bar(done, target int) string {
	const cells = 10
	n := cells
	if target > 0 && done < target {
		n = done * cells / target
	}
	if target == 0 && done == 0 {
		n = 0
	}
	return strings.Repeat("▓", n) + strings.Repeat("░", cells-n)
}

// width is how many fixed-width columns s takes: CJK characters take two.
func width(s string) int {
	w := 0
	for _, r := range s {
		if r >= 0x1100 && (unicode.Is(unicode.Han, r) || (r >= 0x3000 && r <= 0x30FF) || (r >= 0xFF00 && r <= 0xFF60)) {
			w += 2
		} else {
			w++
		}
	}
	return w
}

func padLeft(s string, w int) string  { return strings.Repeat(" ", max(0, w-width(s))) + s }
func padRight(s string, w int) string { return s + strings.Repeat(" ", max(0, w-width(s))) }

// cityTable renders rows of cells aligned for a fixed-width font: the first
// column left-aligned, the others right-aligned.
func cityTable(rows [][]string) string {
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, cell := range r {
			widths[i] = max(widths[i], width(cell))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		for i, cell := range r {
			if i == 0 {
				b.WriteString(padRight(cell, widths[i]))
			} else {
				b.WriteString(" " + padLeft(cell, widths[i]))
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

var shortHeads = [data.NumIndicators]string{"示范区", "省级站", "市县站", "辅导"}

// cityStatus is the whole city in the shape of 附件1: done/target per
// indicator, the 合计 row, then each county's gaps and the note-1 flags.
func cityStatus(c *data.Campaign, done map[string]data.Counts, now time.Time) string {
	return cityStatusAs(c, done, now, cityTable)
}

// cityStatusPlain is cityStatus for a screen without a fixed-width font.
func cityStatusPlain(c *data.Campaign, done map[string]data.Counts, now time.Time) string {
	return cityStatusAs(c, done, now, cityList)
}

// cityList renders the rows of a table as a line per row, each cell named
// by its column's head: readable on a phone in any font.
func cityList(rows [][]string) string {
	var b strings.Builder
	for _, r := range rows[1:] {
		b.WriteString(r[0] + "：")
		for i, cell := range r[1:] {
			if i > 0 {
				b.WriteString("，")
			}
			b.WriteString(rows[0][i+1] + " " + cell)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func cityStatusAs(c *data.Campaign, done map[string]data.Counts, now time.Time, table func([][]string) string) string {
	cs := data.StandCity(c, done)
	rows := [][]string{{"区县", shortHeads[0], shortHeads[1], shortHeads[2], shortHeads[3]}}
	for _, s := range append(cs.Counties, cs.Total) {
		name := s.County
		if name == "" {
			name = "合计"
		}
		row := []string{name}
		for _, ind := range data.Indicators {
			row = append(row, fmt.Sprintf("%d/%d", s.Done[ind], s.Target[ind]))
		}
		rows = append(rows, row)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "%s\n完成/目标（%s）\n", c.Name, now.In(c.Location).Format("1月2日 15:04"))
	b.WriteString(table(rows))
	var gaps []string
	for _, s := range cs.Counties {
		if g := gapList(s); g != "" {
			gaps = append(gaps, s.County+" "+g)
		}
	}
	if len(gaps) == 0 {
		b.WriteString("各区县目标均已完成 ✅")
	} else {
		b.WriteString("尚差：\n" + strings.Join(gaps, "\n"))
	}
	for _, s := range cs.Counties {
		if w := tutoringWarning(s); w != "" {
			b.WriteString("\n" + w)
		}
	}
	if dl := deadlineLine(c, now); dl != "" {
		b.WriteString("\n" + dl)
	}
	return b.String()
}

// gapList names what a county still lacks, e.g. "市县站4 辅导12".
func gapList(s data.Standing) string {
	var parts []string
	for _, ind := range data.Indicators {
		if s.Gap[ind] > 0 {
			parts = append(parts, shortHeads[ind]+strconv.Itoa(s.Gap[ind]))
		}
	}
	return strings.Join(parts, " ")
}

// tutoringWarning applies note 1 of the notice: the tutored count includes the
// cultivated stations, so it can never be below their number.
func tutoringWarning(s data.Standing) string {
	if s.NoteOneShort() > 0 {
		return fmt.Sprintf("⚠️ %s 辅导企业%d家，少于已培育示范站%d个（辅导数应含培育数）", s.County, s.Done[data.Tutoring], s.Stations)
	}
	return ""
}

// deadlineLine counts the days and working days to the lists' deadline, if
// it is still ahead, with the campaign's calendar: the same counts the
// reminders give.
func deadlineLine(c *data.Campaign, now time.Time) string {
	if c.ListsDue.IsZero() {
		return ""
	}
	cal := data.NewCalendar(c)
	due := c.ListsDue.In(cal.Location()).Format("1月2日")
	switch days := cal.DaysLeft(now, c.ListsDue); {
	case days > 0:
		return fmt.Sprintf("距%s报送名单截止还有%d天（%d个工作日）", due, days, cal.WorkingDaysLeft(now, c.ListsDue))
	case days == 0:
		return fmt.Sprintf("今天（%s）是报送名单截止日", due)
	}
	return ""
}

func countyStatus(c *data.Campaign, county string, d data.Counts, now time.Time) string {
	co, _ := c.County(county)
	var b strings.Builder
	name := county
	if co != nil && co.FullName != "" {
		name = co.FullName
	}
	b.WriteString(name + " 进度")
	s := data.StandCounty(c, county, d)
	for _, ind := range data.Indicators {
		fmt.Fprintf(&b, "\n%s %d/%d %s %s", ind.Name(), d[ind], s.Target[ind], bar(d[ind], s.Target[ind]), gapText(s, ind))
	}
	if w := tutoringWarning(s); w != "" {
		b.WriteString("\n" + w)
	}
	if dl := deadlineLine(c, now); dl != "" {
		b.WriteString("\n" + dl)
	}
	return b.String()
}

func targetsTable(c *data.Campaign) string { return targetsAs(c, cityTable) }

// targetsPlain is targetsTable for a screen without a fixed-width font.
func targetsPlain(c *data.Campaign) string { return targetsAs(c, cityList) }

func targetsAs(c *data.Campaign, table func([][]string) string) string {
	rows := [][]string{{"区县", shortHeads[0], shortHeads[1], shortHeads[2], shortHeads[3]}}
	for _, co := range c.Counties {
		row := []string{co.Name}
		for _, ind := range data.Indicators {
			row = append(row, strconv.Itoa(co.Target[ind]))
		}
		rows = append(rows, row)
	}
	t := c.Total()
	row := []string{"合计"}
	for _, ind := range data.Indicators {
		row = append(row, strconv.Itoa(t[ind]))
	}
	rows = append(rows, row)
	return c.Name + "\n目标任务（单位：个；目标为最低要求）\n" + strings.TrimRight(table(rows), "\n")
}

func historyText(c *data.Campaign, county string, entries []data.Entry) string {
	title := "最近的填报记录"
	if county != "" {
		title = county + " " + title
	}
	if len(entries) == 0 {
		return title + "：暂无。"
	}
	var b strings.Builder
	b.WriteString(title + "：")
	for _, e := range entries {
		ind := e.Indicator
		who := e.UserName
		if who == "" {
			who = strconv.FormatInt(e.UserID, 10)
		}
		what := fmt.Sprintf("%+d", e.Delta)
		switch e.Op {
		case data.OpSet:
			what = fmt.Sprintf("=%d（%+d）", e.Amount, e.Delta)
		case data.OpUndo:
			what += " 撤销"
		}
		if e.Late {
			what += " 逾期"
		}
		fmt.Fprintf(&b, "\n%s %s %s %s %s「%s」", e.CreatedAt.In(c.Location).Format("01-02 15:04"), who, e.County, ind.Name(), what, clip(e.Line, 40))
	}
	return b.String()
}

func rosterText(people []data.Person) string {
	if len(people) == 0 {
		return "名单为空。用 /adduser 添加。"
	}
	sort.SliceStable(people, func(i, j int) bool { return people[i].Role < people[j].Role })
	var b strings.Builder
	fmt.Fprintf(&b, "名单（%d人）：", len(people))
	for _, p := range people {
		b.WriteString("\n" + personLine(p))
	}
	return b.String()
}

func personLine(p data.Person) string {
	s := fmt.Sprintf("%d %s", p.UserID, p.Role.RoleName())
	if p.DingTalkID != nil {
		s = fmt.Sprintf("%d（钉钉 %s）%s", p.UserID, *p.DingTalkID, p.Role.RoleName())
	}
	if p.County != "" {
		s += " " + p.County
	}
	if p.Name != "" {
		s += " " + p.Name
	}
	return s
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}

// CityStatus is the city table as /status shows it, for the report command.
func CityStatus(c *data.Campaign, done map[string]data.Counts, now time.Time) string {
	return cityStatus(c, done, now)
}
