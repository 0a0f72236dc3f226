package jobs

import (
	"fmt"
	"math"
	"strings"
	"time"

	"tsbot/data"
)

// Point is one ledger entry: at At, County's count of Indicator changed by
// Delta (negative for a correction).
type Point struct {
	At        time.Time
	County    string
	Indicator data.Indicator
	Delta     int
}

// PaceWindow is how far back the current pace is measured. Four weeks smooth
// over staff who log in batches, yet are the current pace, not the spring's.
// The store need only pass the ledger entries of this window.
const PaceWindow = paceDays * 24 * time.Hour

const paceDays = 28

// Pace is a county's net progress per calendar day, per indicator.
type Pace [data.NumIndicators]float64

// PaceOf measures each county's pace: the sum of its deltas in
// (now-PaceWindow, now], divided by the window's 28 days. A full window even
// at the start of the work makes early paces low, so early warnings err on
// the side of warning.
func PaceOf(history []Point, now time.Time) map[string]Pace {
	from := now.Add(-PaceWindow)
	sums := map[string]*[data.NumIndicators]int{}
	for _, p := range history {
		if !p.At.After(from) || p.At.After(now) || !p.Indicator.Valid() {
			continue
		}
		s := sums[p.County]
		if s == nil {
			s = new([data.NumIndicators]int)
			sums[p.County] = s
		}
		s[p.Indicator] += p.Delta
	}
	out := make(map[string]Pace, len(sums))
	for county, s := range sums {
		var pc Pace
		for i, n := range s {
			pc[i] = float64(n) / paceDays
		}
		out[county] = pc
	}
	return out
}

// Snapshot is what the texts are rendered from: the campaign, the ledger
// totals and the pace at Now. Build it with NewSnapshot once per tick and
// render every due reminder from it.
type Snapshot struct {
	Campaign *data.Campaign
	Now      time.Time
	Done     map[string]data.Counts // canonical county name → cumulative done
	Pace     map[string]Pace        // county → pace, from PaceOf
	// Confirmed holds the counties whose lists stand confirmed (/confirm);
	// nil when not known, and the digest then says nothing of them.
	Confirmed map[string]bool
}

// NewSnapshot measures the pace from history once, so rendering ninety
// county reminders does not scan the ledger ninety times.
func NewSnapshot(c *data.Campaign, now time.Time, done map[string]data.Counts, history []Point) Snapshot {
	return Snapshot{Campaign: c, Now: now, Done: done, Pace: PaceOf(history, now)}
}

// outlook is one county's position and its linear projection to lists_due.
type outlook struct {
	county    data.County
	done      data.Counts
	gap       data.Counts // target minus done, never below zero: targets are minimums
	projected data.Counts // done + pace × days left, rounded down
	short     []data.Indicator
	idle      bool // gaps and no progress in the pace window
	started   bool // anything done at all
}

// outlook projects linearly: done + pace × the days from Now to the end of
// lists_due. An indicator whose projection stays under its target is short.
// A county with a gap and no progress in the window is idle, so at risk
// whatever it did before.
func (s Snapshot) outlook(co data.County) outlook {
	st := data.Stand(co.Name, co.Target, s.Done[co.Name])
	o := outlook{county: co, done: st.Done, gap: st.Gap}
	pace := s.Pace[co.Name]
	left := s.daysLeft()
	moving := false
	for _, ind := range data.Indicators {
		if o.done[ind] > 0 {
			o.started = true
		}
		o.projected[ind] = o.done[ind] + int(math.Floor(pace[ind]*left))
		if o.gap[ind] == 0 {
			continue
		}
		if pace[ind] > 0 {
			moving = true
		}
		if o.projected[ind] < co.Target[ind] {
			o.short = append(o.short, ind)
		}
	}
	o.idle = len(o.short) > 0 && !moving
	return o
}

func (o outlook) met() bool { return o.gap == data.Counts{} }

// daysLeft is the fractional number of days from Now to the end of lists_due.
func (s Snapshot) daysLeft() float64 {
	loc := s.Campaign.Zone()
	y, m, d := s.Campaign.ListsDue.In(loc).Date()
	end := time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	return max(0, end.Sub(s.Now).Hours()/24)
}

// ContactDigest renders the city table for the contact person: per county
// done/target per indicator and the gaps, the 合计 row, the counties that will
// miss at their current pace, and the time left. It serves KindContactDigest and
// KindWeeklyDigest reminders.
func ContactDigest(s Snapshot, r Reminder) string {
	c := s.Campaign
	var b strings.Builder
	head := "【截止提醒】"
	if r.Kind == KindWeeklyDigest {
		head = "【每周进度】"
	}
	b.WriteString(head + c.Name + "\n")
	b.WriteString(timeLeft(r) + "\n\n")

	b.WriteString("完成/目标：")
	for i, ind := range data.Indicators {
		if i > 0 {
			b.WriteString("｜")
		}
		b.WriteString(ind.Short())
	}
	b.WriteString("\n")

	var short []outlook
	allMet := true
	for _, co := range c.Counties {
		o := s.outlook(co)
		writeRow(&b, co.Name, o.done, co.Target, o.gap)
		if !o.met() {
			allMet = false
		}
		if len(o.short) > 0 {
			short = append(short, o)
		}
	}
	// 合计's gap is the sum of the counties' gaps (data.CityStanding).
	total := data.StandCity(c, s.Done).Total
	writeRow(&b, "合计", total.Done, total.Target, total.Gap)

	if s.Confirmed != nil {
		b.WriteString(confirmedLine(c, s.Confirmed))
	}
	switch {
	case allMet:
		b.WriteString("\n各区县均已完成目标。\n")
	case r.DaysLeft <= 0:
		// On the deadline a projection is moot: the table says who is short.
	case len(short) == 0:
		fmt.Fprintf(&b, "\n按近4周进度，各区县到%s均可完成。\n", monthDay(c.ListsDue))
	default:
		fmt.Fprintf(&b, "\n按近4周进度，到%s恐难完成：\n", monthDay(c.ListsDue))
		for _, o := range short {
			b.WriteString(o.county.Name + "：" + o.forecast() + "\n")
		}
	}
	return b.String()
}

// confirmedLine says which counties have confirmed their lists.
func confirmedLine(c *data.Campaign, confirmed map[string]bool) string {
	var yes, no []string
	for _, co := range c.Counties {
		if confirmed[co.Name] {
			yes = append(yes, co.Name)
		} else {
			no = append(no, co.Name)
		}
	}
	switch {
	case len(no) == 0:
		return "\n名单：各区县均已确认报送。\n"
	case len(yes) == 0:
		return "\n名单：各区县均未确认报送。\n"
	}
	return fmt.Sprintf("\n名单已确认：%s\n未确认：%s\n", strings.Join(yes, "、"), strings.Join(no, "、"))
}

// writeRow writes "越城 0/1｜—｜3/7｜12/20" and, if any, the gaps beneath it.
func writeRow(b *strings.Builder, name string, done, target, gap data.Counts) {
	b.WriteString(name + " ")
	for i := range data.Indicators {
		if i > 0 {
			b.WriteString("｜")
		}
		if done[i] == 0 && target[i] == 0 {
			b.WriteString("—") // nothing asked, nothing done: keep the column, skip the noise
			continue
		}
		fmt.Fprintf(b, "%d/%d", done[i], target[i])
	}
	if gap == (data.Counts{}) {
		b.WriteString(" ✓\n")
		return
	}
	b.WriteString("\n　缺")
	for _, ind := range data.Indicators {
		if gap[ind] > 0 {
			fmt.Fprintf(b, " %s%d%s", ind.Short(), gap[ind], ind.Unit())
		}
	}
	if name == "合计" {
		b.WriteString("\n　（各区县所缺相加，超额不抵）")
	}
	b.WriteString("\n")
}

// forecast says briefly why a county is at risk.
func (o outlook) forecast() string {
	switch {
	case !o.started && o.idle:
		return "尚无进展"
	case o.idle:
		return "近4周无新进展"
	}
	parts := make([]string, len(o.short))
	for i, ind := range o.short {
		parts[i] = fmt.Sprintf("%s预计%d/%d", ind.Short(), o.projected[ind], o.county.Target[ind])
	}
	return strings.Join(parts, "，")
}

// CountyNag renders one county's gaps and the time left. ok is false when the
// county has met every target (exceeding is fine) or is unknown: no message.
// county is the canonical name, r.County for a KindCountyNag reminder.
func CountyNag(s Snapshot, county string, r Reminder) (text string, ok bool) {
	co, found := s.Campaign.County(county)
	if !found {
		return "", false
	}
	o := s.outlook(*co)
	if o.met() {
		return "", false
	}
	due := monthDay(s.Campaign.ListsDue)
	var b strings.Builder
	b.WriteString("【" + co.Name + "】" + s.Campaign.Name + "\n")
	b.WriteString(timeLeft(r) + "尚缺：\n")
	for _, ind := range data.Indicators {
		if o.gap[ind] == 0 {
			continue
		}
		note := ""
		if ind == data.Tutoring {
			note = "，含培育单位" // 备注1: staff forget the cultivated units count here
		}
		fmt.Fprintf(&b, "· %s %d%s（%d/%d%s）\n", ind.Name(), o.gap[ind], ind.Unit(), o.done[ind], co.Target[ind], note)
	}
	switch {
	case r.DaysLeft <= 0:
		b.WriteString("请今天将培育名单、专项辅导名单报市局价监竞争分局。\n")
		return b.String(), true
	case len(o.short) == 0:
		b.WriteString("按近4周进度可以按期完成，请继续。\n")
	case o.idle:
		fmt.Fprintf(&b, "%s，请抓紧。\n", o.forecast())
	default:
		fmt.Fprintf(&b, "按近4周进度，到%s%s。\n", due, o.forecast())
	}
	fmt.Fprintf(&b, "请于%s前将培育名单、专项辅导名单报市局价监竞争分局。\n", due)
	return b.String(), true
}

// AcceptanceNote renders what the provincial acceptance needs, before the
// holiday (KindAcceptanceBefore) or once it has begun (KindAcceptanceAfter).
// county is r.County; "" renders the city-wide note for the contact person.
// What a county is told depends on its targets: only a county with a zone
// hears of the zone's reports.
func AcceptanceNote(s Snapshot, r Reminder, county string) string {
	c := s.Campaign
	cal := data.NewCalendar(c)
	var b strings.Builder

	hasZone := func(co data.County) bool { return co.Target[data.Zone] > 0 || s.Done[co.Name][data.Zone] > 0 }
	var co data.County
	var zoneCounties, behind []string
	if county == "" {
		for _, co := range c.Counties {
			if hasZone(co) {
				zoneCounties = append(zoneCounties, co.Name)
			}
			if !s.outlook(co).met() {
				behind = append(behind, co.Name)
			}
		}
	} else {
		co = data.County{Name: county}
		if found, ok := c.County(county); ok {
			co = *found
		}
		if hasZone(co) {
			zoneCounties = []string{co.Name}
		}
	}

	// The contact is told which counties the zone items concern; a county
	// knows its own.
	zone := "省级示范区"
	if county == "" {
		zone += "（" + strings.Join(zoneCounties, "、") + "）"
	}

	title := "验收准备"
	if r.Kind == KindAcceptanceAfter {
		title = "验收开始"
	}
	if county == "" {
		b.WriteString("【" + title + "】" + c.Name + "\n")
	} else {
		b.WriteString("【" + co.Name + "】省局" + title + "\n")
	}

	period := fmt.Sprintf("省局%s起组织申报验收和考核", monthDayWeek(c.AcceptanceFrom))
	if !c.AcceptanceTo.IsZero() {
		period += "，至" + monthDay(c.AcceptanceTo)
	}
	if r.Kind == KindAcceptanceBefore {
		b.WriteString(holidayAfter(cal, r.At) + period + "。请在假期前备好：\n")
		if len(zoneCounties) > 0 {
			b.WriteString("· " + zone + "：申请报告、总体方案、行动计划，经县局初审、市局复审后报省局；验收时另需以园区管委会或县(市、区)人民政府名义的工作报告\n")
		}
		b.WriteString("· 示范站(点)：培育名单；省级站按标准化建设要求逐级上报\n")
		b.WriteString("· 专项辅导：专项辅导名单（辅导企业数含培育单位）\n")
	} else {
		if r.WorkingDaysLeft > 0 && !c.AcceptanceTo.IsZero() {
			period += fmt.Sprintf("（还有%d个工作日）", r.WorkingDaysLeft)
		}
		b.WriteString(period + "。请备好：\n")
		if len(zoneCounties) > 0 {
			b.WriteString("· " + zone + "：以园区管委会或县(市、区)人民政府名义的工作报告\n")
			b.WriteString("· 省级示范区、省级示范站(点)：迎接省局实地验收和抽查考核、复核\n")
		} else {
			b.WriteString("· 省级示范站(点)：迎接省局实地验收和抽查考核、复核\n")
		}
		b.WriteString("· 培育名单、专项辅导名单所列单位的材料，备查\n")
	}

	if county == "" {
		if len(behind) > 0 {
			b.WriteString("尚未达标：" + strings.Join(behind, "、") + "\n")
		}
		return b.String()
	}
	b.WriteString("目前：" + progressLine(co, s.Done[co.Name]) + "\n")
	return b.String()
}

// holidayAfter names the days off between at and the next working day, if a
// holiday is among them: "10月1日至10月7日放假；".
func holidayAfter(cal data.Calendar, at time.Time) string {
	first, next := cal.Day(at).AddDate(0, 0, 1), cal.NextWorkingDay(at)
	holiday := false
	for d := first; d.Before(next); d = d.AddDate(0, 0, 1) {
		holiday = holiday || cal.IsHoliday(d)
	}
	last := next.AddDate(0, 0, -1)
	switch {
	case !holiday:
		return ""
	case cal.DaysLeft(first, last) == 0:
		return monthDay(first) + "放假；"
	}
	return monthDay(first) + "至" + monthDay(last) + "放假；"
}

// progressLine is "示范区0/1，市县级站3/7，辅导12/20", leaving out what the
// county is neither asked for nor has done.
func progressLine(co data.County, done data.Counts) string {
	var parts []string
	st := data.Stand(co.Name, co.Target, done)
	for _, ind := range data.Indicators {
		if st.NoTarget(ind) {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s%d/%d", ind.Short(), done[ind], co.Target[ind]))
	}
	if len(parts) == 0 {
		return "无培育任务"
	}
	return strings.Join(parts, "，")
}

// timeLeft is the opening line about the lists deadline, from the reminder's
// own counts so a catch-up at 09:30 says what 09:00 would have said.
func timeLeft(r Reminder) string {
	today := "今天" + monthDayWeek(r.At)
	due := monthDayWeek(r.Deadline)
	switch {
	case r.DaysLeft <= 0:
		return today + "是名单报送截止日。"
	case r.WorkingDaysLeft == 0:
		return fmt.Sprintf("%s，距%s名单报送截止还有%d天，今天是截止前最后一个工作日。", today, due, r.DaysLeft)
	}
	return fmt.Sprintf("%s，距%s名单报送截止还有%d天（%d个工作日）。", today, due, r.DaysLeft, r.WorkingDaysLeft)
}

var weekdayNames = [7]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// monthDay leaves the year out: a phone screen is narrow and the campaign is
// one year long.
func monthDay(t time.Time) string {
	return fmt.Sprintf("%d月%d日", t.Month(), t.Day())
}

func monthDayWeek(t time.Time) string {
	return monthDay(t) + "（" + weekdayNames[t.Weekday()] + "）"
}
