package data

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"tsbot/data/testkit"
)

// buildCampaign is the default Shaoxing campaign with tweak applied to the
// config: 2027, with the State Council's schedule from lunar-go.
func buildCampaign(t testing.TB, tweak func(*Config)) *Campaign {
	t.Helper()
	cfg := DefaultConfig()
	if tweak != nil {
		tweak(&cfg)
	}
	c, err := cfg.BuildCampaign()
	if err != nil {
		t.Fatal(err)
	}
	return &c
}

var (
	shanghai = testkit.Shanghai
	mustLoad = testkit.MustLoad
	local    = testkit.Local
	in       = testkit.In
)

func TestIsWorkingDay(t *testing.T) {
	c := buildCampaign(t, nil)
	cal := NewCalendar(c)
	tests := []struct {
		name string
		day  time.Time
		want bool
	}{
		{"ordinary Tuesday", local("2027-09-21"), true},
		{"Saturday", local("2027-09-25"), false},
		{"Sunday", local("2027-09-19"), false},
		{"调休 Sunday", local("2027-09-26 23:59"), true},
		{"weekday holiday (Mid-Autumn)", local("2027-09-15 09:00"), false},
		{"National Day, Friday", local("2027-10-01"), false},
		{"National Day, Monday", local("2027-10-04"), false},
		{"first day back", local("2027-10-08"), true},
		{"the deadline", local("2027-09-30"), true},
		{"UTC Saturday evening is the 调休 Sunday in Shanghai", time.Date(2027, 9, 25, 16, 30, 0, 0, time.UTC), true},
		{"UTC Friday evening is Saturday in Shanghai", time.Date(2027, 9, 24, 16, 30, 0, 0, time.UTC), false},
		{"year's last day, Friday", local("2027-12-31"), true},
		{"new year, Saturday", local("2028-01-01"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cal.IsWorkingDay(tt.day); got != tt.want {
				t.Errorf("IsWorkingDay(%s) = %v, want %v", tt.day, got, tt.want)
			}
		})
	}
}

func TestWorkingDaysBefore(t *testing.T) {
	c := buildCampaign(t, nil)
	cal := NewCalendar(c)
	tests := []struct {
		name     string
		deadline string
		n        int
		want     string
	}{
		{"n=0 on a working deadline is the deadline", "2027-09-30", 0, "2027-09-30"},
		{"one before", "2027-09-30", 1, "2027-09-29"},
		{"three before, back to Monday", "2027-09-30", 3, "2027-09-27"},
		{"four before lands on the 调休 Sunday", "2027-09-30", 4, "2027-09-26"},
		{"seven before skips Saturday only", "2027-09-30", 7, "2027-09-22"},
		{"fourteen before skips Mid-Autumn", "2027-09-30", 14, "2027-09-10"},
		{"deadline in the holiday, n=0", "2027-10-03", 0, "2027-09-30"},
		{"deadline in the holiday, n=1", "2027-10-03", 1, "2027-09-29"},
		{"deadline on a Saturday, n=0", "2027-09-25", 0, "2027-09-24"},
		{"across the year end", "2028-01-03", 1, "2027-12-31"},
		{"deadline on new year's Saturday", "2028-01-01", 0, "2027-12-31"},
		{"negative n counts as 0", "2027-09-30", -2, "2027-09-30"},
		{"time of day is ignored", "2027-09-30 23:59", 1, "2027-09-29"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cal.WorkingDaysBefore(local(tt.deadline), tt.n)
			if want := local(tt.want); !got.Equal(want) || got.Location().String() != "Asia/Shanghai" {
				t.Errorf("WorkingDaysBefore(%s, %d) = %s, want %s", tt.deadline, tt.n, got, want)
			}
		})
	}
}

func TestWorkingDaysLeft(t *testing.T) {
	c := buildCampaign(t, nil)
	cal := NewCalendar(c)
	tests := []struct {
		name     string
		from, to time.Time
		want     int
	}{
		{"same day", local("2027-09-30 09:00"), local("2027-09-30"), 0},
		{"to before from", local("2027-09-30"), local("2027-09-21"), 0},
		{"day before the deadline", local("2027-09-29 09:00"), local("2027-09-30"), 1},
		{"d-7 with the 调休 Sunday", local("2027-09-21 09:00"), local("2027-09-30"), 8},
		{"Friday to Monday over the 调休 Sunday", local("2027-09-24"), local("2027-09-27"), 2},
		{"over the National Day holiday", local("2027-09-30"), local("2027-10-08"), 1},
		{"over the year end", local("2027-12-30"), local("2028-01-03"), 2},
		{"two minutes apart but across midnight", local("2027-09-29 23:59"), local("2027-09-30 00:01"), 1},
		{"instants in another zone are read in Shanghai", time.Date(2027, 9, 28, 16, 30, 0, 0, time.UTC), local("2027-09-30"), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cal.WorkingDaysLeft(tt.from, tt.to); got != tt.want {
				t.Errorf("WorkingDaysLeft(%s, %s) = %d, want %d", tt.from, tt.to, got, tt.want)
			}
		})
	}
}

// The two must agree, or a reminder would announce the wrong working days left.
func TestWorkingDaysBeforeAndBetweenAgree(t *testing.T) {
	c := buildCampaign(t, nil)
	cal := NewCalendar(c)
	for d := local("2027-09-01"); d.Before(local("2028-01-10")); d = d.AddDate(0, 0, 1) {
		for n := 0; n <= 30; n++ {
			if got := cal.WorkingDaysLeft(cal.WorkingDaysBefore(d, n), d); got != n {
				t.Fatalf("WorkingDaysLeft(WorkingDaysBefore(%s, %d), %[1]s) = %d", d.Format("2006-01-02"), n, got)
			}
		}
	}
}

func TestPrevNextWorkingDay(t *testing.T) {
	c := buildCampaign(t, nil)
	cal := NewCalendar(c)
	tests := []struct {
		name       string
		day        string
		prev, next string
	}{
		{"around the National Day holiday", "2027-10-01", "2027-09-30", "2027-10-08"},
		{"the deadline", "2027-09-30", "2027-09-29", "2027-10-08"},
		{"Friday before the 调休 Sunday", "2027-09-24", "2027-09-23", "2027-09-26"},
		{"Monday after the 调休 Sunday", "2027-09-27", "2027-09-26", "2027-09-28"},
		{"around Mid-Autumn", "2027-09-15", "2027-09-14", "2027-09-16"},
		{"year's end", "2027-12-31", "2027-12-30", "2028-01-03"},
		{"new year", "2028-01-03 08:00", "2027-12-31", "2028-01-04"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cal.PrevWorkingDay(local(tt.day)); !got.Equal(local(tt.prev)) {
				t.Errorf("PrevWorkingDay(%s) = %s, want %s", tt.day, got, tt.prev)
			}
			if got := cal.NextWorkingDay(local(tt.day)); !got.Equal(local(tt.next)) {
				t.Errorf("NextWorkingDay(%s) = %s, want %s", tt.day, got, tt.next)
			}
		})
	}
}

// Shanghai has no DST; a zone that has one shows the calendar counts dates,
// not 24-hour steps. 2027-03-28 and 2027-10-31 are the Berlin switch Sundays.
func TestCalendarAcrossDST(t *testing.T) {
	berlin := mustLoad("Europe/Berlin")
	c := &Campaign{Location: berlin, Weekend: []time.Weekday{time.Saturday, time.Sunday}}
	cal := NewCalendar(c)
	tests := []struct {
		name             string
		from, to         string
		days, workingDay int
	}{
		{"spring forward", "2027-03-26 12:00", "2027-03-29 00:30", 3, 1},
		{"fall back", "2027-10-29 23:30", "2027-11-01 00:00", 3, 1},
		{"a week over the switch", "2027-03-22", "2027-03-29", 7, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to := in(berlin, tt.from), in(berlin, tt.to)
			if got := cal.DaysLeft(from, to); got != tt.days {
				t.Errorf("DaysLeft = %d, want %d", got, tt.days)
			}
			if got := cal.WorkingDaysLeft(from, to); got != tt.workingDay {
				t.Errorf("WorkingDaysLeft = %d, want %d", got, tt.workingDay)
			}
			back := cal.WorkingDaysBefore(to, tt.workingDay)
			if h, m, _ := back.Clock(); h != 0 || m != 0 || back.Location() != berlin {
				t.Errorf("WorkingDaysBefore = %s, want local midnight", back)
			}
			// every from is a working day, so stepping back lands on its date
			if !sameDate(back, from) {
				t.Errorf("WorkingDaysBefore(%s, %d) = %s, want %s", tt.to, tt.workingDay, back, tt.from)
			}
		})
	}
	if got := cal.Day(in(berlin, "2027-03-28 12:00")); got.Hour() != 0 || got.Day() != 28 {
		t.Errorf("Day on the switch Sunday = %s", got)
	}
}

func sameDate(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// The default calendar is the State Council's 2027 schedule as lunar-go
// carries it, not dates typed by hand: before, 中秋 was a working day and the
// two make-up Saturdays/Sundays were off.
func TestDefaultCalendar2027(t *testing.T) {
	cal := NewCalendar(buildCampaign(t, nil))
	tests := []struct {
		name string
		day  string
		want bool
	}{
		{"中秋, Wednesday 15 Sept, off", "2027-09-15", false},
		{"make-up Sunday 26 Sept, working", "2027-09-26", true},
		{"国庆 1 Oct", "2027-10-01", false},
		{"国庆 2 Oct", "2027-10-02", false},
		{"国庆 3 Oct", "2027-10-03", false},
		{"国庆 4 Oct", "2027-10-04", false},
		{"国庆 5 Oct", "2027-10-05", false},
		{"国庆 6 Oct", "2027-10-06", false},
		{"国庆 7 Oct", "2027-10-07", false},
		{"make-up Saturday 9 Oct, working", "2027-10-09", true},
		{"ordinary Saturday, off", "2027-09-18", false},
		{"ordinary Wednesday, working", "2027-09-22", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cal.IsWorkingDay(local(tt.day)); got != tt.want {
				t.Errorf("IsWorkingDay(%s) = %v, want %v", tt.day, got, tt.want)
			}
		})
	}
}

// The last working days before the 30 September deadline include Sunday the
// 26th: the reminder four working days ahead lands on it, and a Friday has
// five working days left, not four.
func TestLastWorkingDaysBeforeListsDue2027(t *testing.T) {
	c := buildCampaign(t, nil)
	cal := NewCalendar(c)
	now := local("2027-09-24 17:00") // a Friday
	tests := []struct {
		name      string
		got, want string
	}{
		{"the working day before Monday 27th", ymd(cal.PrevWorkingDay(local("2027-09-27"))), "2027-09-26"},
		{"four working days before the deadline", ymd(cal.WorkingDaysBefore(c.ListsDue, 4)), "2027-09-26"},
		{"working days left from Friday the 24th", itoa(cal.WorkingDaysLeft(now, c.ListsDue)), "5"},
		{"days left from Friday the 24th", itoa(cal.DaysLeft(now, c.ListsDue)), "6"},
		{"the working day before the holiday", ymd(cal.PrevWorkingDay(local("2027-10-01"))), "2027-09-30"},
		{"the first working day after it", ymd(cal.NextWorkingDay(local("2027-10-07"))), "2027-10-08"},
		{"the second one, a Saturday", ymd(cal.NextWorkingDay(local("2027-10-08"))), "2027-10-09"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %s, want %s", tt.got, tt.want)
			}
		})
	}
}

func TestDaysOffAndMakeUpDays(t *testing.T) {
	cal := NewCalendar(buildCampaign(t, nil))
	dates := func(ts []time.Time) string {
		var out []string
		for _, t := range ts {
			out = append(out, t.Format("01-02"))
		}
		return strings.Join(out, " ")
	}
	tests := []struct {
		name      string
		from, to  string
		off, work string
	}{
		{"September to October", "2027-09-01 10:00", "2027-10-31", "09-15 10-01 10-02 10-03 10-04 10-05 10-06 10-07", "09-26 10-09"},
		{"after the holiday", "2027-10-08", "2027-10-31", "", "10-09"},
		{"an empty range", "2027-10-31", "2027-10-01", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to := local(tt.from), local(tt.to)
			if got := dates(cal.DaysOff(from, to)); got != tt.off {
				t.Errorf("DaysOff = %q, want %q", got, tt.off)
			}
			if got := dates(cal.MakeUpDays(from, to)); got != tt.work {
				t.Errorf("MakeUpDays = %q, want %q", got, tt.work)
			}
			if got := cal.DaysOff(from, to); !slices.IsSortedFunc(got, time.Time.Compare) {
				t.Errorf("DaysOff not in date order: %v", got)
			}
		})
	}
}

func ymd(t time.Time) string { return t.Format("2006-01-02") }
func itoa(n int) string      { return strconv.Itoa(n) }
