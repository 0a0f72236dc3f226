package jobs

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"tsbot/data"
)

// ledger is the fixture's progress, one county per kind of situation:
//
//	越城 behind on everything, slow        柯桥 met (tutoring over target)
//	上虞 behind but on pace                诸暨 progress only before the window
//	新昌 nothing at all                    嵊州 one short, pace rounds down
func ledger(now time.Time) (map[string]data.Counts, []Point) {
	done := map[string]data.Counts{
		"越城": {0, 0, 3, 12},
		"柯桥": {0, 1, 7, 22},
		"上虞": {0, 1, 6, 18},
		"诸暨": {0, 0, 5, 20},
		"嵊州": {0, 1, 7, 19},
	}
	ago := func(days int) time.Time { return now.AddDate(0, 0, -days) }
	history := []Point{
		{ago(10), "越城", data.CityStation, 1},
		{ago(3), "越城", data.Tutoring, 4},
		{ago(20), "上虞", data.CityStation, 4}, // 4 in 28 days: 6/7 on pace with 8 days left
		{ago(5), "上虞", data.Tutoring, 9},
		{ago(1), "上虞", data.Tutoring, -1}, // a correction
		{ago(40), "诸暨", data.CityStation, 5},
		{ago(40), "诸暨", data.Tutoring, 20},
		{ago(28), "嵊州", data.Tutoring, 9}, // exactly 28 days ago: outside the window
		{ago(2), "嵊州", data.Tutoring, 2},
		{now.Add(time.Hour), "新昌", data.Tutoring, 5}, // after now: not yet
	}
	return done, history
}

func snapshot(t testing.TB, tweak func(*data.Config), now string) (Snapshot, []Reminder) {
	t.Helper()
	c, cfg := buildCampaign(t, tweak)
	at := local(now)
	done, history := ledger(at)
	return NewSnapshot(c, at, done, history), mustSchedule(t, c, cfg)
}

// find returns the reminder with key, failing the test if there is none.
func find(t testing.TB, all []Reminder, key string) Reminder {
	t.Helper()
	for _, r := range all {
		if r.Key == key {
			return r
		}
	}
	t.Fatalf("no reminder %s in\n%s", key, listing(all))
	return Reminder{}
}

func TestContactDigest(t *testing.T) {
	tests := []struct {
		name   string
		tweak  func(*data.Config)
		now    string
		key    string
		allMet bool
	}{
		{"d7", nil, "2027-09-22 09:00", "contact_digest:2027-09-30:d-7", false},
		{"weekly", nil, "2027-09-20 09:00", "weekly_digest:2027-09-20", false},
		{"d0", nil, "2027-09-30 09:30", "contact_digest:2027-09-30:d-0", false},
		{"friday_before_sunday_deadline", func(cfg *data.Config) {
			cfg.Campaign.ListsDue = "2027-09-19"
		}, "2027-09-17 09:00", "contact_digest:2027-09-19:d-0", false},
		{"all_met", nil, "2027-09-22 09:00", "contact_digest:2027-09-30:d-7", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, all := snapshot(t, tt.tweak, tt.now)
			if tt.allMet {
				s.Done = map[string]data.Counts{}
				for _, co := range s.Campaign.Counties {
					s.Done[co.Name] = co.Target
				}
			}
			golden(t, "contact_digest_"+tt.name, ContactDigest(s, find(t, all, tt.key)))
		})
	}
}

func TestCountyNag(t *testing.T) {
	tests := []struct {
		name, county, now, key string
	}{
		{"yuecheng_d7_slow", "越城", "2027-09-22 09:00", "county_nag:2027-09-30:d-7:越城"},
		{"shangyu_d7_on_pace", "上虞", "2027-09-22 09:00", "county_nag:2027-09-30:d-7:上虞"},
		{"zhuji_d7_idle", "诸暨", "2027-09-22 09:00", "county_nag:2027-09-30:d-7:诸暨"},
		{"xinchang_d7_nothing", "新昌", "2027-09-22 09:00", "county_nag:2027-09-30:d-7:新昌"},
		{"shengzhou_d1_rounds_down", "嵊州", "2027-09-29 09:00", "county_nag:2027-09-30:d-1:嵊州"},
		{"yuecheng_d0", "越城", "2027-09-30 09:00", "county_nag:2027-09-30:d-0:越城"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, all := snapshot(t, nil, tt.now)
			r := find(t, all, tt.key)
			text, ok := CountyNag(s, tt.county, r)
			if !ok {
				t.Fatal("no message for a county with gaps")
			}
			golden(t, "county_nag_"+tt.name, text)
		})
	}
}

func TestCountyNagNoMessage(t *testing.T) {
	tests := []struct {
		name   string
		county string
		done   data.Counts
	}{
		{"targets met exactly", "上虞", data.Counts{0, 1, 7, 20}},
		{"targets exceeded", "越城", data.Counts{2, 3, 9, 40}},
		{"unknown county", "杭州", data.Counts{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, all := snapshot(t, nil, "2027-09-22 09:00")
			s.Done = map[string]data.Counts{tt.county: tt.done}
			if text, ok := CountyNag(s, tt.county, find(t, all, "county_nag:2027-09-30:d-7:越城")); ok {
				t.Errorf("got a message:\n%s", text)
			}
		})
	}
}

func TestAcceptanceNote(t *testing.T) {
	tests := []struct {
		name, county, now, key string
	}{
		{"before_city", "", "2027-09-30 09:00", "acceptance_before:2027-10-08"},
		{"before_yuecheng_zone", "越城", "2027-09-30 09:00", "acceptance_before:2027-10-08:越城"},
		{"before_keqiao", "柯桥", "2027-09-30 09:00", "acceptance_before:2027-10-08:柯桥"},
		{"after_city", "", "2027-10-08 09:00", "acceptance_after:2027-10-08"},
		{"after_yuecheng_zone", "越城", "2027-10-08 09:00", "acceptance_after:2027-10-08:越城"},
		{"after_xinchang", "新昌", "2027-10-08 09:00", "acceptance_after:2027-10-08:新昌"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, all := snapshot(t, nil, tt.now)
			golden(t, "acceptance_"+tt.name, AcceptanceNote(s, find(t, all, tt.key), tt.county))
		})
	}
}

func TestPaceOf(t *testing.T) {
	now := local("2027-09-21 09:00")
	_, history := ledger(now)
	pace := PaceOf(history, now)
	tests := []struct {
		name   string
		county string
		ind    data.Indicator
		sum    int // net delta in the window
	}{
		{"inside the window", "越城", data.Tutoring, 4},
		{"a correction nets out", "上虞", data.Tutoring, 8},
		{"exactly 28 days ago is out", "嵊州", data.Tutoring, 2},
		{"before the window", "诸暨", data.Tutoring, 0},
		{"after now is out", "新昌", data.Tutoring, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := pace[tt.county][tt.ind], float64(tt.sum)/28; got != want {
				t.Errorf("pace = %v, want %v", got, want)
			}
		})
	}
}

func TestOutlook(t *testing.T) {
	c, _ := buildCampaign(t, nil)
	now := local("2027-09-21 09:00") // 9.625 days to the end of 30 Sept
	co, _ := c.County("柯桥")          // targets 0, 1, 7, 20
	tests := []struct {
		name      string
		done      data.Counts
		pace      Pace
		short     []data.Indicator
		idle, met bool
	}{
		{"nothing yet is at risk", data.Counts{}, Pace{},
			[]data.Indicator{data.ProvincialStation, data.CityStation, data.Tutoring}, true, false},
		{"on pace", data.Counts{0, 1, 5, 15}, Pace{0, 0, 0.25, 0.6}, nil, false, false},
		{"just short: projections round down", data.Counts{0, 1, 7, 15}, Pace{0, 0, 0, 0.5}, []data.Indicator{data.Tutoring}, false, false},
		{"progress elsewhere does not help a stalled indicator", data.Counts{0, 0, 5, 15}, Pace{0, 0, 1, 1},
			[]data.Indicator{data.ProvincialStation}, false, false},
		{"over target needs nothing", data.Counts{1, 2, 8, 30}, Pace{}, nil, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Snapshot{Campaign: c, Now: now, Done: map[string]data.Counts{co.Name: tt.done}, Pace: map[string]Pace{co.Name: tt.pace}}
			o := s.outlook(*co)
			if fmt.Sprint(o.short) != fmt.Sprint(tt.short) || o.idle != tt.idle || o.met() != tt.met {
				t.Errorf("short %v idle %v met %v, want %v %v %v", o.short, o.idle, o.met(), tt.short, tt.idle, tt.met)
			}
		})
	}
}

// province is a province-size campaign: 90 counties, the four indicators,
// and a 200,000-entry ledger over the 120 days before now.
func province(b *testing.B, now time.Time) (*data.Campaign, data.RemindersConfig, map[string]data.Counts, []Point) {
	c, cfg := buildCampaign(b, nil)
	c.Counties = nil
	for i := range 90 {
		name := fmt.Sprintf("县%02d", i+1)
		c.Counties = append(c.Counties, data.County{Name: name, FullName: name, Target: data.Counts{i % 2, 1, 7, 20}})
	}
	rng := rand.New(rand.NewPCG(1, 2)) // fixed seed: the same ledger every run
	done := map[string]data.Counts{}
	history := make([]Point, 200_000)
	for i := range history {
		co := c.Counties[rng.IntN(len(c.Counties))].Name
		ind := data.Indicators[rng.IntN(data.NumIndicators)]
		p := Point{At: now.Add(-time.Duration(rng.Int64N(int64(120 * 24 * time.Hour)))), County: co, Indicator: ind, Delta: 1}
		history[i] = p
		d := done[co]
		d[ind] += p.Delta
		done[co] = d
	}
	// Scale the totals down (to about 11 each) so most counties fall short
	// of their 20 tutored enterprises and every nag renders.
	for co, d := range done {
		for i := range d {
			d[i] /= 50
		}
		done[co] = d
	}
	return c, cfg, done, history
}

// BenchmarkRenderAll is one tick of the bot at 09:00 on d-7: schedule,
// select what is due, measure the pace, render every due reminder.
func BenchmarkRenderAll(b *testing.B) {
	now := local("2027-09-21 09:00")
	c, cfg, done, history := province(b, now)
	var due []Reminder
	var digest string
	messages := 0
	b.ReportAllocs()
	for b.Loop() {
		all, err := Schedule(c, cfg)
		if err != nil {
			b.Fatal(err)
		}
		due, _ = Due(all, now)
		s := NewSnapshot(c, now, done, history)
		messages = 0
		for _, r := range due {
			var text string
			switch r.Kind {
			case KindContactDigest, KindWeeklyDigest:
				text = ContactDigest(s, r)
				digest = text
			case KindCountyNag:
				text, _ = CountyNag(s, r.County, r)
			case KindAcceptanceBefore, KindAcceptanceAfter:
				text = AcceptanceNote(s, r, r.County)
			}
			if text != "" {
				messages++
			}
		}
	}
	if len(due) != 91 || messages < 80 || !strings.Contains(digest, "县90") {
		b.Fatalf("%d due, %d messages", len(due), messages)
	}
}
