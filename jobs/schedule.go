// Package jobs decides which reminders the campaign needs and when (pure:
// functions of the campaign, the config and a now, counted with
// data.Calendar), renders their texts, and holds the cron wiring that sends
// them and the daily backup.
package jobs

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"tsbot/data"
)

// Kind says what a reminder is about and who reads it.
type Kind int

const (
	KindContactDigest    Kind = iota + 1 // the city table for the contact, n working days before lists_due
	KindCountyNag                        // one county's gaps, same days, to the county's group
	KindWeeklyDigest                     // the city table for the contact, per reminders.weekly_digest
	KindAcceptanceBefore                 // what the acceptance needs, last working day before the holiday
	KindAcceptanceAfter                  // the acceptance has begun, first working day of it
)

var kindInfo = map[Kind]struct{ key, label string }{
	KindContactDigest:    {"contact_digest", "截止提醒（联系人）"},
	KindCountyNag:        {"county_nag", "截止提醒（区县）"},
	KindWeeklyDigest:     {"weekly_digest", "每周进度"},
	KindAcceptanceBefore: {"acceptance_before", "验收准备"},
	KindAcceptanceAfter:  {"acceptance_after", "验收开始"},
}

// String is the stable snake_case name used in keys and logs.
func (k Kind) String() string {
	if i, ok := kindInfo[k]; ok {
		return i.key
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Label is the kind in Chinese, for the /reminders command.
func (k Kind) Label() string { return kindInfo[k].label }

// Reminder is one message to one recipient at one time. The wiring sends it
// once: it records Key when sent (or when logged as missed) and never sends a
// recorded key again.
type Reminder struct {
	// Key is stable and unique. It names what the reminder is about, not when
	// it fires: "county_nag:2027-09-30:d-7:柯桥" stays the same reminder if a
	// holiday added to the config moves its day, so it is still sent once.
	Key    string
	Kind   Kind
	County string    // canonical county name; "" for the city contact
	At     time.Time // local time it is due
	// Deadline is what DaysLeft counts to: lists_due for the deadline and
	// weekly reminders, acceptance_from before the acceptance, acceptance_to
	// (or acceptance_from if unset) once it has begun.
	Deadline        time.Time
	DaysLeft        int // calendar days from At's date to Deadline's
	WorkingDaysLeft int // working days after At's date up to and including Deadline
}

// weeklyLead is how far before the first configured campaign date the weekly
// digests begin. The notice goes out in May and leaves the start of the work
// open; 60 days before cultivation_due covers the busy summer without sending
// digests about an idle spring.
const weeklyLead = 60

// Schedule returns every reminder of the campaign, sorted by time (then kind,
// then county in campaign order). It returns nothing if reminders are disabled
// or lists_due is not set. Errors name the config key at fault.
//
//   - Before lists_due, for each n in reminders.days_before: a KindContactDigest
//     and one KindCountyNag per county on the n-th working day before it
//     (data.Calendar.WorkingDaysBefore), at reminders.time.
//   - A KindWeeklyDigest at each reminders.weekly_digest time from 60 days before
//     the first campaign date (cultivation_due, else lists_due) to lists_due
//     inclusive. One on a day off moves to the next working day; one on a day
//     that already has a KindContactDigest is dropped, as it would repeat it.
//   - With reminders.acceptance and campaign.acceptance_from set: a
//     KindAcceptanceBefore for the contact and each county on the last working
//     day before the holiday block between lists_due and acceptance_from
//     (before acceptance_from itself if there is no holiday between), and a
//     KindAcceptanceAfter on the first working day on or after acceptance_from.
func Schedule(c *data.Campaign, cfg data.RemindersConfig) ([]Reminder, error) {
	hour, minute, err := parseClock(cfg.Time)
	if err != nil {
		return nil, err
	}
	var weekly cron.Schedule
	if strings.TrimSpace(cfg.WeeklyDigest) != "" {
		weekly, err = cron.ParseStandard(cfg.WeeklyDigest)
		if err != nil {
			return nil, fmt.Errorf("jobs: reminders.weekly_digest: %q: %w", cfg.WeeklyDigest, err)
		}
	}
	offsets, err := daysBefore(cfg.DaysBefore)
	if err != nil {
		return nil, err
	}
	if !cfg.Enabled || c.ListsDue.IsZero() {
		return nil, nil
	}

	cal := data.NewCalendar(c)
	at := func(d time.Time) time.Time {
		y, m, dd := d.In(cal.Location()).Date()
		return time.Date(y, m, dd, hour, minute, 0, 0, cal.Location())
	}
	s := scheduler{cal: cal, campaign: c}

	digestDays := map[string]bool{} // local dates, "2006-01-02"
	for _, n := range offsets {
		when := at(cal.WorkingDaysBefore(c.ListsDue, n))
		digestDays[ymd(when)] = true
		about := fmt.Sprintf("%s:d-%d", ymd(cal.Day(c.ListsDue)), n)
		s.add(KindContactDigest, about, "", when, c.ListsDue)
		s.perCounty(KindCountyNag, about, when, c.ListsDue)
	}

	if weekly != nil {
		if err := s.weekly(weekly, digestDays); err != nil {
			return nil, err
		}
	}

	if cfg.AcceptanceNote && !c.AcceptanceFrom.IsZero() {
		before := at(s.lastWorkingDayBeforeHoliday(c.AcceptanceFrom))
		about := ymd(cal.Day(c.AcceptanceFrom))
		s.add(KindAcceptanceBefore, about, "", before, c.AcceptanceFrom)
		s.perCounty(KindAcceptanceBefore, about, before, c.AcceptanceFrom)

		first := c.AcceptanceFrom
		if !cal.IsWorkingDay(first) {
			first = cal.NextWorkingDay(first)
		}
		end := c.AcceptanceTo
		if end.IsZero() {
			end = c.AcceptanceFrom
		}
		s.add(KindAcceptanceAfter, about, "", at(first), end)
		s.perCounty(KindAcceptanceAfter, about, at(first), end)
	}

	// Stable: reminders of one time and kind keep campaign order of counties.
	slices.SortStableFunc(s.out, func(a, b Reminder) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Kind, b.Kind))
	})
	return s.out, nil
}

type scheduler struct {
	cal      data.Calendar
	campaign *data.Campaign
	out      []Reminder
}

func (s *scheduler) add(k Kind, about, county string, at, deadline time.Time) {
	key := k.String() + ":" + about
	if county != "" {
		key += ":" + county
	}
	s.out = append(s.out, Reminder{
		Key: key, Kind: k, County: county, At: at, Deadline: deadline,
		DaysLeft:        s.cal.DaysLeft(at, deadline),
		WorkingDaysLeft: s.cal.WorkingDaysLeft(at, deadline),
	})
}

func (s *scheduler) perCounty(k Kind, about string, at, deadline time.Time) {
	for _, co := range s.campaign.Counties {
		s.add(k, about, co.Name, at, deadline)
	}
}

func (s *scheduler) weekly(spec cron.Schedule, digestDays map[string]bool) error {
	c, cal := s.campaign, s.cal
	first := c.ListsDue
	if !c.CultivationDue.IsZero() && c.CultivationDue.Before(first) {
		first = c.CultivationDue
	}
	from := cal.Day(first).AddDate(0, 0, -weeklyLead)
	fired := map[string]bool{}
	// Next is strictly after its argument; start just before midnight so a
	// digest at 00:00 on the first day counts.
	for t := spec.Next(from.Add(-time.Nanosecond)); !t.IsZero(); t = spec.Next(t) {
		t = t.In(cal.Location())
		if cal.DaysLeft(t, c.ListsDue) < 0 {
			break
		}
		// A spec firing twice a day (or "@every 1h") would flood the contact
		// and, over a season, make thousands of reminders: refuse it.
		if fired[ymd(t)] {
			return fmt.Errorf("jobs: reminders.weekly_digest: fires more than once on %s; a digest is at most daily", ymd(t))
		}
		fired[ymd(t)] = true
		when := t
		if !cal.IsWorkingDay(t) {
			y, m, dd := cal.NextWorkingDay(t).Date()
			when = time.Date(y, m, dd, t.Hour(), t.Minute(), 0, 0, cal.Location())
		}
		if cal.DaysLeft(when, c.ListsDue) < 0 || digestDays[ymd(when)] {
			continue
		}
		digestDays[ymd(when)] = true // a moved digest must not land on the next one's day twice
		s.add(KindWeeklyDigest, ymd(t), "", when, c.ListsDue)
	}
	return nil
}

// lastWorkingDayBeforeHoliday finds the holiday block (holidays and the days
// off around them) between lists_due and from, and returns the working day
// before it: the last day to prepare before a week off. Only holidays after
// lists_due count, so a Mid-Autumn day in September is not taken for it.
func (s *scheduler) lastWorkingDayBeforeHoliday(from time.Time) time.Time {
	cal := s.cal
	var latest time.Time
	for _, h := range s.campaign.Holidays {
		if cal.IsHoliday(h) && cal.DaysLeft(s.campaign.ListsDue, h) >= 0 && cal.DaysLeft(h, from) > 0 &&
			(latest.IsZero() || cal.DaysLeft(latest, h) > 0) {
			latest = h
		}
	}
	if latest.IsZero() {
		return cal.PrevWorkingDay(from)
	}
	return cal.PrevWorkingDay(latest)
}

// Due splits the reminders that have come due by now. due: At is not after
// now and on now's local date, so a bot restarted at 09:30 still sends the
// 09:00 reminder. missed: At is on an earlier date; a reminder a day late
// would give wrong days-left, so the wiring logs and records those instead
// of sending them. Reminders after now are in neither. Both keep all's order.
func Due(all []Reminder, now time.Time) (due, missed []Reminder) {
	for _, r := range all {
		if r.At.After(now) {
			continue
		}
		if sameDate(r.At, now.In(r.At.Location())) {
			due = append(due, r)
		} else {
			missed = append(missed, r)
		}
	}
	return due, missed
}

// Next returns up to n reminders due after now, in all's order (Schedule's:
// by time). n <= 0 means every one of them.
func Next(all []Reminder, now time.Time, n int) []Reminder {
	var out []Reminder
	for _, r := range all {
		if n > 0 && len(out) == n {
			break
		}
		if r.At.After(now) {
			out = append(out, r)
		}
	}
	return out
}

func sameDate(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

func parseClock(s string) (hour, minute int, err error) {
	hour, minute, err = data.ParseClock(s)
	if err != nil {
		return 0, 0, fmt.Errorf("jobs: reminders.time: %w", err)
	}
	return hour, minute, nil
}

// daysBefore validates reminders.days_before and drops repeats, which would
// otherwise make two reminders with one key.
func daysBefore(ns []int) ([]int, error) {
	var out []int
	for _, n := range ns {
		if n < 0 {
			return nil, fmt.Errorf("jobs: reminders.days_before: %d is negative; 0 is the deadline itself", n)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

func ymd(t time.Time) string { return t.Format("2006-01-02") }
