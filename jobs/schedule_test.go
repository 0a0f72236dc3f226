package jobs

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"tsbot/data"
	"tsbot/data/testkit"
)

// golden compares got with testdata/name.golden byte for byte.
func golden(t *testing.T, name, got string) {
	t.Helper()
	testkit.Golden(t, name, "text", got)
}

func mustSchedule(t testing.TB, c *data.Campaign, cfg data.RemindersConfig) []Reminder {
	t.Helper()
	all, err := Schedule(c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// listing is one line per reminder, for golden files and failure messages.
func listing(rs []Reminder) string {
	var b strings.Builder
	for _, r := range rs {
		county := r.County
		if county == "" {
			county = "-"
		}
		fmt.Fprintf(&b, "%s %-17s %s days=%d working=%d %s\n",
			r.At.Format("2006-01-02 15:04 Mon"), r.Kind, county, r.DaysLeft, r.WorkingDaysLeft, r.Key)
	}
	return b.String()
}

// groups folds the per-county copies of a reminder into one line: the six
// county nags of one day read "county_nag:2027-09-30:d-7 ×6".
func groups(rs []Reminder) []string {
	var out []string
	var last string
	n := 0
	flush := func() {
		if n == 1 {
			out = append(out, last)
		} else if n > 1 {
			out = append(out, fmt.Sprintf("%s ×%d", last, n))
		}
	}
	for _, r := range rs {
		k := strings.TrimSuffix(r.Key, ":"+r.County)
		if k != last {
			flush()
			last, n = k, 0
		}
		n++
	}
	flush()
	return out
}

// dates lists the local date and time of the reminders of one kind.
func dates(rs []Reminder, k Kind) []string {
	var out []string
	for _, r := range rs {
		if r.Kind == k {
			out = append(out, r.At.Format("01-02 15:04"))
		}
	}
	return out
}

func TestScheduleDefault(t *testing.T) {
	c, cfg := buildCampaign(t, nil)
	golden(t, "schedule_default", listing(mustSchedule(t, c, cfg)))
}

func TestScheduleDeadlineReminders(t *testing.T) {
	tests := []struct {
		name  string
		tweak func(*data.Config)
		want  []string
	}{
		// 2027: Mid-Autumn (Wed 15 Sept) is off and Sunday 26 Sept is worked,
		// so d-7 is Wednesday the 22nd.
		{"default", nil,
			[]string{"08-19 09:00", "09-10 09:00", "09-22 09:00", "09-27 09:00", "09-29 09:00", "09-30 09:00"}},
		{"National Day only, as the default was before", nationalDayOnly,
			[]string{"08-19 09:00", "09-10 09:00", "09-21 09:00", "09-27 09:00", "09-29 09:00", "09-30 09:00"}},
		{"deadline on a Sunday moves day 0 to Friday, day 1 over Mid-Autumn", func(cfg *data.Config) {
			cfg.Campaign.ListsDue = "2027-09-19"
			cfg.Reminders.DaysBefore = []int{1, 0}
		}, []string{"09-16 09:00", "09-17 09:00"}},
		{"deadline on the 调休 Sunday stays on it", func(cfg *data.Config) {
			cfg.Campaign.ListsDue = "2027-09-26"
			cfg.Reminders.DaysBefore = []int{1, 0}
		}, []string{"09-24 09:00", "09-26 09:00"}},
		{"deadline in the holiday", func(cfg *data.Config) {
			cfg.Campaign.ListsDue = "2027-10-05"
			cfg.Reminders.DaysBefore = []int{1, 0}
		}, []string{"09-29 09:00", "09-30 09:00"}},
		{"afternoon time, repeats dropped", func(cfg *data.Config) {
			cfg.Reminders.Time = "17:30"
			cfg.Reminders.DaysBefore = []int{7, 0, 7}
		}, []string{"09-22 17:30", "09-30 17:30"}},
		{"deadline at the year's end", func(cfg *data.Config) {
			cfg.Campaign.ListsDue = "2027-12-31"
			cfg.Campaign.AcceptanceFrom, cfg.Campaign.AcceptanceTo = "", ""
			cfg.Reminders.DaysBefore = []int{3, 0}
		}, []string{"12-28 09:00", "12-31 09:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, cfg := buildCampaign(t, tt.tweak)
			all := mustSchedule(t, c, cfg)
			if got := dates(all, KindContactDigest); !equal(got, tt.want) {
				t.Errorf("contact digests at %v, want %v", got, tt.want)
			}
			// each contact digest has one nag per county at the same time
			if got := dates(all, KindCountyNag); len(got) != len(tt.want)*len(c.Counties) {
				t.Errorf("%d county nags, want %d", len(got), len(tt.want)*len(c.Counties))
			}
		})
	}
}

func TestScheduleWeeklyDigest(t *testing.T) {
	tests := []struct {
		name  string
		tweak func(*data.Config)
		want  []string
	}{
		// 60 days before cultivation_due (31 Aug) is 2 July; 27 Sept is d-3, so
		// its weekly digest gives way to the deadline digest.
		{"Mondays from July, not on a deadline day", nil, []string{
			"07-05 09:00", "07-12 09:00", "07-19 09:00", "07-26 09:00", "08-02 09:00", "08-09 09:00",
			"08-16 09:00", "08-23 09:00", "08-30 09:00", "09-06 09:00", "09-13 09:00", "09-20 09:00"}},
		{"a Monday holiday moves it to Tuesday", func(cfg *data.Config) {
			cfg.Campaign.ExtraHolidays = append(cfg.Campaign.ExtraHolidays, "2027-09-13")
		}, []string{
			"07-05 09:00", "07-12 09:00", "07-19 09:00", "07-26 09:00", "08-02 09:00", "08-09 09:00",
			"08-16 09:00", "08-23 09:00", "08-30 09:00", "09-06 09:00", "09-14 09:00", "09-20 09:00"}},
		{"Sunday digests move to the 调休 Sunday or Monday", func(cfg *data.Config) {
			cfg.Campaign.CultivationDue = ""
			cfg.Reminders.DaysBefore = []int{0}
			cfg.Reminders.WeeklyDigest = "0 18 * * 0"
		}, []string{
			"08-02 18:00", "08-09 18:00", "08-16 18:00", "08-23 18:00", "08-30 18:00",
			"09-06 18:00", "09-13 18:00", "09-20 18:00", "09-26 18:00"}},
		{"a spec in another zone", func(cfg *data.Config) {
			cfg.Campaign.CultivationDue = "2027-10-01"
			cfg.Reminders.WeeklyDigest = "CRON_TZ=UTC 0 1 * * 1"
		}, []string{"08-02 09:00", "08-09 09:00", "08-16 09:00", "08-23 09:00", "08-30 09:00",
			"09-06 09:00", "09-13 09:00", "09-20 09:00"}},
		{"none when the spec is empty", func(cfg *data.Config) { cfg.Reminders.WeeklyDigest = "" }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, cfg := buildCampaign(t, tt.tweak)
			if got := dates(mustSchedule(t, c, cfg), KindWeeklyDigest); !equal(got, tt.want) {
				t.Errorf("weekly digests at %v,\nwant %v", got, tt.want)
			}
		})
	}
}

func TestScheduleAcceptance(t *testing.T) {
	tests := []struct {
		name          string
		tweak         func(*data.Config)
		before, after []string
	}{
		{"default: before and after National Day", nil, []string{"09-30 09:00"}, []string{"10-08 09:00"}},
		{"acceptance from a Saturday starts Monday", func(cfg *data.Config) {
			cfg.Campaign.AcceptanceFrom = "2027-10-16"
		}, []string{"09-30 09:00"}, []string{"10-18 09:00"}},
		{"acceptance from a 调休 Saturday starts that day", func(cfg *data.Config) {
			cfg.Campaign.AcceptanceFrom = "2027-10-09"
		}, []string{"09-30 09:00"}, []string{"10-09 09:00"}},
		{"acceptance from a Saturday taken back starts Monday", func(cfg *data.Config) {
			cfg.Campaign.AcceptanceFrom = "2027-10-09"
			cfg.Campaign.ExtraHolidays = []string{"2027-10-09"}
		}, []string{"09-30 09:00"}, []string{"10-11 09:00"}},
		{"a later start still warns before the holiday", func(cfg *data.Config) {
			cfg.Campaign.AcceptanceFrom = "2027-10-18"
		}, []string{"09-30 09:00"}, []string{"10-18 09:00"}},
		{"no holiday: the working day before", func(cfg *data.Config) {
			cfg.Campaign.OfficialHolidays = false
			cfg.Campaign.ExtraHolidays = []string{"2027-09-15"}
		}, []string{"10-07 09:00"}, []string{"10-08 09:00"}},
		{"switched off", func(cfg *data.Config) { cfg.Reminders.AcceptanceNote = false }, nil, nil},
		{"no acceptance date", func(cfg *data.Config) {
			cfg.Campaign.AcceptanceFrom, cfg.Campaign.AcceptanceTo = "", ""
		}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, cfg := buildCampaign(t, tt.tweak)
			all := mustSchedule(t, c, cfg)
			// the contact and every county get each note: show it once
			if got := unique(dates(all, KindAcceptanceBefore)); !equal(got, tt.before) {
				t.Errorf("before the holiday at %v, want %v", got, tt.before)
			}
			if got := unique(dates(all, KindAcceptanceAfter)); !equal(got, tt.after) {
				t.Errorf("after the holiday at %v, want %v", got, tt.after)
			}
		})
	}
}

func TestScheduleNothing(t *testing.T) {
	tests := []struct {
		name  string
		tweak func(*data.Config)
	}{
		{"no lists_due", func(cfg *data.Config) { cfg.Campaign.ListsDue = "" }},
		{"reminders disabled", func(cfg *data.Config) { cfg.Reminders.Enabled = false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, cfg := buildCampaign(t, tt.tweak)
			if all := mustSchedule(t, c, cfg); len(all) != 0 {
				t.Errorf("got %d reminders, want none:\n%s", len(all), listing(all))
			}
		})
	}
}

func TestScheduleErrors(t *testing.T) {
	tests := []struct {
		name  string
		tweak func(*data.Config)
		key   string
	}{
		{"time without minutes", func(cfg *data.Config) { cfg.Reminders.Time = "9点" }, "reminders.time"},
		{"time out of range", func(cfg *data.Config) { cfg.Reminders.Time = "25:00" }, "reminders.time"},
		{"time empty", func(cfg *data.Config) { cfg.Reminders.Time = "" }, "reminders.time"},
		{"cron spec in words", func(cfg *data.Config) { cfg.Reminders.WeeklyDigest = "every monday" }, "reminders.weekly_digest"},
		{"cron weekday out of range", func(cfg *data.Config) { cfg.Reminders.WeeklyDigest = "0 9 * * 8" }, "reminders.weekly_digest"},
		{"cron twice a day", func(cfg *data.Config) { cfg.Reminders.WeeklyDigest = "0 9,17 * * 1" }, "reminders.weekly_digest"},
		{"cron every hour", func(cfg *data.Config) { cfg.Reminders.WeeklyDigest = "@every 1h" }, "reminders.weekly_digest"},
		{"negative days before", func(cfg *data.Config) { cfg.Reminders.DaysBefore = []int{7, -1} }, "reminders.days_before"},
		// The calendar's keys (campaign.holidays of another year, a day both
		// off and worked, no working weekday) are checked once, where the
		// config is read: data's TestParseConfig.
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, cfg := buildCampaign(t, tt.tweak)
			all, err := Schedule(c, cfg)
			if err == nil {
				t.Fatalf("no error, %d reminders", len(all))
			}
			if !strings.Contains(err.Error(), tt.key+":") {
				t.Errorf("error %q does not name %s", err, tt.key)
			}
		})
	}
}

// Properties every schedule must have, over the configurations above.
func TestScheduleInvariants(t *testing.T) {
	tweaks := map[string]func(*data.Config){
		"default":           nil,
		"National Day only": nationalDayOnly,
		"daily digest":      func(cfg *data.Config) { cfg.Reminders.WeeklyDigest = "0 8 * * *" },
		"Sunday deadline":   func(cfg *data.Config) { cfg.Campaign.ListsDue = "2027-09-26" },
	}
	for name, tweak := range tweaks {
		t.Run(name, func(t *testing.T) {
			c, cfg := buildCampaign(t, tweak)
			cal := data.NewCalendar(c)
			all := mustSchedule(t, c, cfg)
			seen := map[string]bool{}
			days := map[string]Kind{}
			for i, r := range all {
				if seen[r.Key] {
					t.Errorf("key %s twice", r.Key)
				}
				seen[r.Key] = true
				if i > 0 && r.At.Before(all[i-1].At) {
					t.Errorf("%s before %s: not sorted", r.Key, all[i-1].Key)
				}
				if !cal.IsWorkingDay(r.At) {
					t.Errorf("%s on a day off (%s)", r.Key, r.At.Format("Mon 2006-01-02"))
				}
				deadline := r.Kind == KindContactDigest || r.Kind == KindCountyNag || r.Kind == KindWeeklyDigest
				if deadline && cal.DaysLeft(r.At, c.ListsDue) < 0 {
					t.Errorf("%s after lists_due", r.Key)
				}
				if r.At.Location() != c.Location {
					t.Errorf("%s in %s, not the campaign's zone", r.Key, r.At.Location())
				}
				if r.Kind == KindWeeklyDigest || r.Kind == KindContactDigest {
					d := r.At.Format("2006-01-02")
					if k, dup := days[d]; dup {
						t.Errorf("two digests for the contact on %s: %s and %s", d, k, r.Kind)
					}
					days[d] = r.Kind
				}
			}
		})
	}
}

func TestDue(t *testing.T) {
	tests := []struct {
		name       string
		tweak      func(*data.Config)
		now        string
		due        []string
		missed     int
		lastMissed string
	}{
		{"just before 09:00 on d-7", nil, "2027-09-22 08:59",
			nil, 26, "weekly_digest:2027-09-20"},
		{"09:00 on d-7", nil, "2027-09-22 09:00",
			[]string{"contact_digest:2027-09-30:d-7", "county_nag:2027-09-30:d-7 ×6"}, 26, "weekly_digest:2027-09-20"},
		{"catch-up at 09:30 the same day", nil, "2027-09-22 09:30",
			[]string{"contact_digest:2027-09-30:d-7", "county_nag:2027-09-30:d-7 ×6"}, 26, "weekly_digest:2027-09-20"},
		{"the next day it is missed", nil, "2027-09-23 09:30",
			nil, 33, "county_nag:2027-09-30:d-7 ×6"},
		{"a Saturday", nil, "2027-09-25 10:00", nil, 33, "county_nag:2027-09-30:d-7 ×6"},
		{"a 调休 Sunday", func(cfg *data.Config) {
			cfg.Reminders.DaysBefore = []int{4}
			cfg.Reminders.WeeklyDigest = ""
		}, "2027-09-26 09:30", []string{"contact_digest:2027-09-30:d-4", "county_nag:2027-09-30:d-4 ×6"}, 0, ""},
		{"the deadline", nil, "2027-09-30 09:30", []string{
			"contact_digest:2027-09-30:d-0", "county_nag:2027-09-30:d-0 ×6",
			"acceptance_before:2027-10-08 ×7"}, 47, "county_nag:2027-09-30:d-1 ×6"},
		{"the day after the deadline: nothing about it", nil, "2027-10-01 09:30",
			nil, 61, "acceptance_before:2027-10-08 ×7"},
		{"first day of the acceptance", nil, "2027-10-08 09:00",
			[]string{"acceptance_after:2027-10-08 ×7"}, 61, "acceptance_before:2027-10-08 ×7"},
		{"the year's last minute", func(cfg *data.Config) {
			cfg.Campaign.ListsDue = "2027-12-31"
			cfg.Campaign.AcceptanceFrom, cfg.Campaign.AcceptanceTo = "", ""
			cfg.Reminders.DaysBefore = []int{0}
			cfg.Reminders.WeeklyDigest = ""
		}, "2027-12-31 23:59", []string{"contact_digest:2027-12-31:d-0", "county_nag:2027-12-31:d-0 ×6"}, 0, ""},
		{"new year: missed", func(cfg *data.Config) {
			cfg.Campaign.ListsDue = "2027-12-31"
			cfg.Campaign.AcceptanceFrom, cfg.Campaign.AcceptanceTo = "", ""
			cfg.Reminders.DaysBefore = []int{0}
			cfg.Reminders.WeeklyDigest = ""
		}, "2028-01-01 00:00", nil, 7, "county_nag:2027-12-31:d-0 ×6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, cfg := buildCampaign(t, tt.tweak)
			due, missed := Due(mustSchedule(t, c, cfg), local(tt.now))
			if got := groups(due); !equal(got, tt.due) {
				t.Errorf("due %q, want %q", got, tt.due)
			}
			if len(missed) != tt.missed {
				t.Errorf("%d missed, want %d", len(missed), tt.missed)
			}
			if g := groups(missed); tt.lastMissed != "" && (len(g) == 0 || g[len(g)-1] != tt.lastMissed) {
				t.Errorf("missed ends with %q, want %q", g, tt.lastMissed)
			}
		})
	}
}

func TestDueReadsNowInTheCampaignZone(t *testing.T) {
	c, cfg := buildCampaign(t, nil)
	all := mustSchedule(t, c, cfg)
	// 01:30 UTC on 22 Sept is 09:30 in Shanghai: the d-7 reminders are due.
	due, _ := Due(all, time.Date(2027, 9, 22, 1, 30, 0, 0, time.UTC))
	if got := groups(due); !equal(got, []string{"contact_digest:2027-09-30:d-7", "county_nag:2027-09-30:d-7 ×6"}) {
		t.Errorf("due %q", got)
	}
}

func TestNext(t *testing.T) {
	c, cfg := buildCampaign(t, nil)
	all := mustSchedule(t, c, cfg)
	tests := []struct {
		name string
		now  string
		n    int
		want []string
	}{
		{"the next three", "2027-09-22 09:30", 3,
			[]string{"contact_digest:2027-09-30:d-3", "county_nag:2027-09-30:d-3 ×2"}},
		{"at the exact time it is no longer next", "2027-09-27 09:00", 1,
			[]string{"contact_digest:2027-09-30:d-1"}},
		{"every one left", "2027-09-30 10:00", 0,
			[]string{"acceptance_after:2027-10-08 ×7"}},
		{"none after the last", "2027-10-08 09:00", 5, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := groups(Next(all, local(tt.now), tt.n)); !equal(got, tt.want) {
				t.Errorf("Next = %q, want %q", got, tt.want)
			}
		})
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func unique(s []string) []string {
	var out []string
	for _, v := range s {
		if len(out) == 0 || out[len(out)-1] != v {
			out = append(out, v)
		}
	}
	return out
}
