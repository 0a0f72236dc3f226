package data

import (
	"time"
	// Embedded zone data: Asia/Shanghai must load on a server or container
	// that ships no /usr/share/zoneinfo.
	_ "time/tzdata"
)

// Calendar is the campaign's working calendar: which dates are working days,
// and how many days and working days are left until a date. The bot's replies
// and the reminders both count with it, so they never disagree. Every method
// works on calendar dates in the campaign's Location, never on 24-hour
// durations, so it stays right across DST changes and whatever zone the
// instants it is given are in.
type Calendar struct {
	loc      *time.Location
	weekend  [7]bool
	holidays map[day]bool
	workdays map[day]bool // 调休: a weekend day worked to make up for a holiday
}

// day is a calendar date as a count of days since 1970-01-01. Dates are
// compared and stepped as integers; the zone only matters when an instant is
// turned into a date (dayOf) and back (midnight).
type day int

// searchLimit bounds the walk to the next or previous working day. Holidays
// are finite, so with at least one ordinary working weekday (BuildCampaign
// checks campaign.weekend) a working day is always within a few weeks.
const searchLimit = 366

// NewCalendar builds the working calendar of c: its weekend, its holidays and
// its make-up working days, as BuildCampaign resolved them from the State
// Council's schedule and the config. A nil Location means Asia/Shanghai, the
// campaign's home.
func NewCalendar(c *Campaign) Calendar {
	cal := Calendar{loc: c.Zone(), holidays: map[day]bool{}, workdays: map[day]bool{}}
	for _, w := range c.Weekend {
		cal.weekend[w] = true
	}
	for _, h := range c.Holidays {
		cal.holidays[cal.dayOf(h)] = true
	}
	for _, w := range c.Workdays {
		cal.workdays[cal.dayOf(w)] = true
	}
	return cal
}

// Zone is the zone the campaign's dates are read in: Location, or
// Asia/Shanghai when it is not set.
func (c *Campaign) Zone() *time.Location {
	if c.Location != nil {
		return c.Location
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil { // cannot happen with time/tzdata embedded
		return time.UTC
	}
	return loc
}

// Location is the zone every date of the calendar is read in.
func (cal Calendar) Location() *time.Location { return cal.loc }

// Day returns local midnight at the start of t's date.
func (cal Calendar) Day(t time.Time) time.Time { return cal.midnight(cal.dayOf(t)) }

// IsWorkingDay reports whether t's local date is a working day: a holiday is
// off even on a weekday, a 调休 workday is on even on a weekend.
func (cal Calendar) IsWorkingDay(t time.Time) bool { return cal.working(cal.dayOf(t)) }

// IsHoliday reports whether t's local date is a public holiday (not merely a
// weekend): the days off a "before the holiday" reminder is about.
func (cal Calendar) IsHoliday(t time.Time) bool {
	d := cal.dayOf(t)
	return cal.holidays[d] && !cal.workdays[d]
}

// WorkingDaysBefore returns local midnight of the n-th working day before
// deadline. n = 0 is the deadline itself, or the last working day before it
// when the deadline is not a working day; each further n steps back one
// working day. So WorkingDaysBetween(WorkingDaysBefore(d, n), d) == n for
// every d, and a reminder set for a holiday lands on the working day before.
// A negative n counts as 0 (Schedule rejects negative days_before first).
func (cal Calendar) WorkingDaysBefore(deadline time.Time, n int) time.Time {
	d := cal.dayOf(deadline)
	if !cal.working(d) {
		d = cal.prev(d)
	}
	for ; n > 0; n-- {
		d = cal.prev(d)
	}
	return cal.midnight(d)
}

// WorkingDaysLeft counts the working days after now's date up to and
// including due's date: the working days left after today until a deadline
// (0 on the deadline itself, and 0 when due is on or before now's date). It is
// the one count of working days left that replies and reminders show.
func (cal Calendar) WorkingDaysLeft(now, due time.Time) int {
	n := 0
	for d, end := cal.dayOf(now)+1, cal.dayOf(due); d <= end; d++ {
		if cal.working(d) {
			n++
		}
	}
	return n
}

// DaysLeft is the number of calendar dates from now's date to due's date: 0
// on the day itself, negative once it has passed. It is the one count of days
// left that replies and reminders show; it counts dates, so 23:59 the evening
// before is 1 day left, and no hour arithmetic can round it off by one.
func (cal Calendar) DaysLeft(now, due time.Time) int {
	return int(cal.dayOf(due) - cal.dayOf(now))
}

// PrevWorkingDay returns local midnight of the last working day before t's date.
func (cal Calendar) PrevWorkingDay(t time.Time) time.Time {
	return cal.midnight(cal.prev(cal.dayOf(t)))
}

// NextWorkingDay returns local midnight of the first working day after t's date.
func (cal Calendar) NextWorkingDay(t time.Time) time.Time {
	return cal.midnight(cal.next(cal.dayOf(t)))
}

// DaysOff lists the public holidays from from's date to to's date inclusive,
// and MakeUpDays the make-up working days (调休上班) on a weekend: what check
// shows staff of the calendar it counts with. Both are local midnights in
// date order.
func (cal Calendar) DaysOff(from, to time.Time) []time.Time {
	return cal.collect(from, to, func(d day) bool { return cal.holidays[d] && !cal.workdays[d] })
}

// MakeUpDays: see DaysOff.
func (cal Calendar) MakeUpDays(from, to time.Time) []time.Time {
	return cal.collect(from, to, func(d day) bool { return cal.workdays[d] && cal.weekend[d.weekday()] })
}

func (cal Calendar) collect(from, to time.Time, keep func(day) bool) []time.Time {
	var out []time.Time
	for d, end := cal.dayOf(from), cal.dayOf(to); d <= end; d++ {
		if keep(d) {
			out = append(out, cal.midnight(d))
		}
	}
	return out
}

func (cal Calendar) working(d day) bool {
	switch {
	case cal.workdays[d]:
		return true
	case cal.holidays[d]:
		return false
	}
	return !cal.weekend[d.weekday()]
}

// prev and next give up after searchLimit days and return the limit, so a
// calendar with no working day at all cannot hang the bot.
func (cal Calendar) prev(d day) day {
	for i := 0; i < searchLimit; i++ {
		d--
		if cal.working(d) {
			break
		}
	}
	return d
}

func (cal Calendar) next(d day) day {
	for i := 0; i < searchLimit; i++ {
		d++
		if cal.working(d) {
			break
		}
	}
	return d
}

// dayOf reads t's date in the campaign's zone.
func (cal Calendar) dayOf(t time.Time) day {
	y, m, d := t.In(cal.loc).Date()
	return day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// midnight is the instant the date starts in the campaign's zone. Built with
// time.Date from year, month and day, not by adding hours, so a DST change in
// between cannot shift it off the date.
func (cal Calendar) midnight(d day) time.Time {
	y, m, dd := d.utc().Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, cal.loc)
}

func (d day) utc() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

func (d day) weekday() time.Weekday {
	// 1970-01-01 was a Thursday; the double modulo keeps dates before it right.
	return time.Weekday(((int(d)+int(time.Thursday))%7 + 7) % 7)
}
