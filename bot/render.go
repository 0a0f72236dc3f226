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

// Replies are read on phones, at the large text sizes many older staff use
// (up to 19 px on a 360 dp screen: about 28 Latin cells a line). Chinese is
// set in a proportional CJK font about 1.67 Latin cells wide, never exactly
// 2, so nothing here lines columns up by counting characters: a reply is
// short lines, each one thing, and a line that wraps never splits a figure
// from what it measures. phone_test.go measures every line of the golden
// replies; testdata/phone.sh renders them as screenshots.

// label names an indicator after a county name on one line: the short names
// staff type themselves.
func label(ind data.Indicator) string {
	if ind == data.Tutoring {
		return "辅导企业"
	}
	return ind.Short()
}

// progressLine is one indicator of one county against its target, e.g.
// 柯桥 辅导企业 8/20 还差12家
func progressLine(c *data.Campaign, county string, ind data.Indicator, done int) string {
	var d data.Counts
	d[ind] = done
	s := data.StandCounty(c, county, d)
	return county + " " + label(ind) + " " + figure(s, ind)
}

// figure is done against target and how far from it, e.g. "8/20 还差12家";
// for an indicator without a target, what was done.
func figure(s data.Standing, ind data.Indicator) string {
	if s.Target[ind] == 0 {
		return fmt.Sprintf("%d%s（无指标）", s.Done[ind], ind.Unit())
	}
	return fmt.Sprintf("%d/%d %s", s.Done[ind], s.Target[ind], gapText(s, ind))
}

// gapText says how far a figure is from its target. Targets are minimums, so
// going over is "exceeded", never an error.
func gapText(s data.Standing, ind data.Indicator) string {
	switch {
	case s.Gap[ind] > 0:
		return fmt.Sprintf("还差%d%s", s.Gap[ind], ind.Unit())
	case s.Surplus[ind] == 0:
		return "✅"
	}
	return fmt.Sprintf("✅超额%d%s", s.Surplus[ind], ind.Unit())
}

// cellsPerLine is how many county figures share a line ("柯桥0/7"): three
// fit in 28 cells with room for three-digit figures.
const cellsPerLine = 3

// countyCells lays short cells out cellsPerLine to a line.
func countyCells(cells []string) string {
	var lines []string
	for len(cells) > 0 {
		n := min(cellsPerLine, len(cells))
		lines = append(lines, strings.Join(cells[:n], " "))
		cells = cells[n:]
	}
	return strings.Join(lines, "\n")
}

// cityStatus is the whole city: per indicator the city's done/target and
// gap, then each county's done/target ("越城0/7"; "越城✅" once met),
// leaving out the counties with no target for it; then the note-1 flags and
// the days left.
func cityStatus(c *data.Campaign, done map[string]data.Counts, now time.Time) string {
	cs := data.StandCity(c, done)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s 完成/目标", c.Name, now.In(c.Location).Format("1月2日 15:04"))
	for _, ind := range data.Indicators {
		if cs.Total.NoTarget(ind) {
			continue
		}
		fmt.Fprintf(&b, "\n\n%s %s", ind.Name(), figure(cs.Total, ind))
		var cells []string
		for _, s := range cs.Counties {
			switch {
			case s.NoTarget(ind):
			case s.Target[ind] > 0 && s.Gap[ind] == 0:
				cells = append(cells, s.County+"✅")
			default:
				cells = append(cells, fmt.Sprintf("%s%d/%d", s.County, s.Done[ind], s.Target[ind]))
			}
		}
		if len(cells) > 0 {
			b.WriteString("\n" + countyCells(cells))
		}
	}
	b.WriteString("\n")
	if cs.Total.Met() {
		b.WriteString("\n各区县目标均已完成 ✅")
	}
	for _, s := range cs.Counties {
		if w := tutoringWarning(s); w != "" {
			b.WriteString("\n" + w)
		}
	}
	if dl := deadlineLine(c, now); dl != "" {
		b.WriteString("\n" + dl)
	}
	return strings.TrimRight(b.String(), "\n")
}

// tutoringWarning applies note 1 of the notice: the tutored count includes the
// cultivated stations, so it can never be below their number.
func tutoringWarning(s data.Standing) string {
	if s.NoteOneShort() > 0 {
		return fmt.Sprintf("⚠️ %s 辅导%d家，少于示范站%d个", s.County, s.Done[data.Tutoring], s.Stations)
	}
	return ""
}

// deadlineLine counts the days and working days to the lists' deadline, if
// it is still ahead, with the campaign's calendar: the same counts the
// reminders give. Two lines: one would wrap between the date and the count.
func deadlineLine(c *data.Campaign, now time.Time) string {
	if c.ListsDue.IsZero() {
		return ""
	}
	cal := data.NewCalendar(c)
	due := c.ListsDue.In(cal.Location()).Format("1月2日")
	switch days := cal.DaysLeft(now, c.ListsDue); {
	case days > 0:
		return fmt.Sprintf("距%s报送名单截止\n还有%d天（%d个工作日）", due, days, cal.WorkingDaysLeft(now, c.ListsDue))
	case days == 0:
		return fmt.Sprintf("今天（%s）是报送名单截止日", due)
	}
	return ""
}

// countyStatus is one county: a line per indicator it has a target for (or
// progress on), the note-1 flag and the days left.
func countyStatus(c *data.Campaign, county string, d data.Counts, now time.Time) string {
	co, _ := c.County(county)
	var b strings.Builder
	name := county
	if co != nil && co.FullName != "" {
		name = co.FullName
	}
	b.WriteString(name + " 进度（完成/目标）")
	s := data.StandCounty(c, county, d)
	for _, ind := range data.Indicators {
		if !s.NoTarget(ind) {
			b.WriteString("\n" + ind.Name() + " " + figure(s, ind))
		}
	}
	if s.Met() {
		b.WriteString("\n各项目标均已完成 ✅")
	}
	if w := tutoringWarning(s); w != "" {
		b.WriteString("\n" + w + "\n（辅导企业数应含培育数）")
	}
	if dl := deadlineLine(c, now); dl != "" {
		b.WriteString("\n" + dl)
	}
	return b.String()
}

// targetsText is 附件1: per indicator the city's target, then each county's.
func targetsText(c *data.Campaign) string {
	var b strings.Builder
	b.WriteString(c.Name + "\n目标任务（最低要求）")
	t := c.Total()
	for _, ind := range data.Indicators {
		if t[ind] == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n\n%s 共%d%s", ind.Name(), t[ind], ind.Unit())
		var cells []string
		for _, co := range c.Counties {
			if co.Target[ind] > 0 {
				cells = append(cells, co.Name+strconv.Itoa(co.Target[ind]))
			}
		}
		b.WriteString("\n" + countyCells(cells))
	}
	return b.String()
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
