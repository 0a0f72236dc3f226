package data

import (
	"fmt"
	"strings"
	"time"
)

// CalendarLines is what check says of the working calendar: the days off and
// the make-up working days from now's date to the end of the campaign
// (acceptance_to, else the last date set), and a warning for each campaign
// year the holiday data carries no State Council schedule for.
func CalendarLines(c *Campaign, cc CampaignConfig, now time.Time) []string {
	cal := NewCalendar(c)
	end := c.ListsDue
	for _, t := range []time.Time{c.CultivationDue, c.AcceptanceFrom, c.AcceptanceTo} {
		if t.After(end) {
			end = t
		}
	}
	source := "国务院放假安排"
	if !cc.OfficialHolidays {
		source = "仅周末及配置的日期（official_holidays = false）"
	}
	var out []string
	if end.IsZero() || cal.DaysLeft(now, end) < 0 {
		out = append(out, "日历："+source+"；活动日期已过或未设")
	} else {
		none := func(s string) string {
			if s == "" {
				return "无"
			}
			return s
		}
		from, to := cal.Day(now), end.In(cal.Location())
		toLayout := "1月2日"
		if to.Year() != from.Year() {
			toLayout = "2006年1月2日"
		}
		out = append(out, fmt.Sprintf("日历（%s，%s至%s）：放假 %s；调休上班 %s", source,
			from.Format("2006年1月2日"), to.Format(toLayout),
			none(dayRuns(cal.DaysOff(now, end), true)), none(dayRuns(cal.MakeUpDays(now, end), false))))
	}
	for _, y := range c.Unscheduled {
		out = append(out, fmt.Sprintf("注意：内置的节假日数据（lunar-go）还没有%d年的国务院放假安排，该年只按周末计算：请升级 lunar-go，或在 campaign.extra_holidays、extra_workdays 中写上当年的放假和调休日期", y))
	}
	if len(cc.Holidays) > 0 || len(cc.Workdays) > 0 {
		out = append(out, "提示：campaign.holidays、workdays 已改名为 extra_holidays、extra_workdays（旧名仍有效，日期加在国务院放假安排之上）")
	}
	return out
}

// dayRuns writes dates compactly: runs of consecutive days as one range with
// the holiday's name ("10月1日至7日（国庆节）"), single days with theirs, or
// with the weekday for make-up working days ("9月26日（周日）").
func dayRuns(days []time.Time, named bool) string {
	var parts []string
	for i := 0; i < len(days); {
		j := i
		for j+1 < len(days) && days[j+1].Equal(days[j].AddDate(0, 0, 1)) {
			j++
		}
		first, last := days[i], days[j]
		s := first.Format("1月2日")
		switch {
		case j == i:
		case first.Month() == last.Month():
			s += "至" + last.Format("2日")
		default:
			s += "至" + last.Format("1月2日")
		}
		if named {
			if name := OfficialName(first); name != "" {
				s += "（" + name + "）"
			}
		} else {
			s += "（" + weekdayNames[first.Weekday()] + "）"
		}
		parts = append(parts, s)
		i = j + 1
	}
	return strings.Join(parts, "、")
}

var weekdayNames = [7]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}
