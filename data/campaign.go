// Package data holds the campaign (counties, indicators, targets, dates), the
// roster and the durable ledger of progress. It knows nothing of Telegram or cron.
package data

import (
	"database/sql/driver"
	"fmt"
	"strings"
	"time"
)

// Indicator is one of the four targets of 附件1.
type Indicator int

const (
	Zone              Indicator = iota // 省级商业秘密保护示范区
	ProvincialStation                  // 省级商业秘密保护示范站(点)
	CityStation                        // 市、县级商业秘密保护示范站(点)
	Tutoring                           // 企业商业秘密保护专项辅导
	NumIndicators     = 4
)

// Indicators lists the four indicators in the column order of 附件1.
var Indicators = [NumIndicators]Indicator{Zone, ProvincialStation, CityStation, Tutoring}

var indicatorInfo = [NumIndicators]struct{ key, name, short, unit string }{
	{"zone", "省级示范区", "示范区", "个"},
	{"provincial_station", "省级示范站", "省级站", "个"},
	{"city_station", "市县级示范站", "市县级站", "个"},
	{"tutoring", "企业专项辅导", "辅导", "家"},
}

// Key is the stable identifier stored in the ledger and used in JSON and config.
func (i Indicator) Key() string {
	if !i.Valid() {
		return ""
	}
	return indicatorInfo[i].key
}

// Name is how replies name the indicator: short enough for a phone, unambiguous.
func (i Indicator) Name() string { return indicatorInfo[i].name }

// Short is the narrowest column heading for the city table.
func (i Indicator) Short() string { return indicatorInfo[i].short }

// Unit is the measure word used in replies (家 for enterprises, 个 otherwise).
func (i Indicator) Unit() string { return indicatorInfo[i].unit }

// Valid reports whether i is one of the four indicators.
func (i Indicator) Valid() bool { return i >= 0 && i < NumIndicators }

// Value stores an indicator as its key: the stored data reads as before.
func (i Indicator) Value() (driver.Value, error) {
	if !i.Valid() {
		return nil, fmt.Errorf("indicator %d: not one of the four", int(i))
	}
	return i.Key(), nil
}

// Scan reads a stored key. A key no indicator has (a row written by hand)
// reads as an invalid indicator, which the callers skip, rather than an
// error that would hide every other row.
func (i *Indicator) Scan(src any) error {
	var key string
	switch v := src.(type) {
	case string:
		key = v
	case []byte:
		key = string(v)
	default:
		return fmt.Errorf("indicator: cannot read %T", src)
	}
	ind, ok := IndicatorByKey(key)
	if !ok {
		ind = -1
	}
	*i = ind
	return nil
}

// GormDataType keeps the column a text column.
func (Indicator) GormDataType() string { return "string" }

// IndicatorByKey maps a stored key back to the indicator.
func IndicatorByKey(key string) (Indicator, bool) {
	for _, ind := range Indicators {
		if ind.Key() == key {
			return ind, true
		}
	}
	return 0, false
}

// Counts holds one number per indicator, indexed by Indicator.
type Counts [NumIndicators]int

// Add returns the element-wise sum.
func (c Counts) Add(o Counts) Counts {
	for i := range c {
		c[i] += o[i]
	}
	return c
}

// County is a district/county bureau with its targets.
type County struct {
	Name     string   // short canonical name: 柯桥
	FullName string   // 柯桥区
	Aliases  []string // further names staff may type
	Target   Counts   // minimums (备注2): exceeding is good
	ChatID   int64    // the county's work group, for reminders; 0 if none
}

// Campaign is one year's programme for one city: configuration, never hard-coded.
type Campaign struct {
	Name     string
	Counties []County
	Location *time.Location
	// The notice's calendar. Zero dates mean "not configured": no reminders.
	CultivationDue time.Time // zones and stations cultivated by this day
	ListsDue       time.Time // the two lists reach the city bureau by this day (inclusive)
	AcceptanceFrom time.Time // first day of the provincial acceptance period
	AcceptanceTo   time.Time // last day of it
	// The working calendar (NewCalendar): reminders fall on working days
	// only, and replies count working days left with it. BuildCampaign
	// resolves the State Council's schedule and the config's extra days into
	// the two lists; no date is in both.
	Weekend  []time.Weekday // days off in an ordinary week
	Holidays []time.Time    // public holidays (midnight, Location)
	Workdays []time.Time    // working days that would be off: make-up days (调休上班), holidays taken back
	// Unscheduled lists the campaign's years for which lunar-go carries no
	// State Council schedule: only weekends and the extra days are off then.
	Unscheduled []int

	spellings []NameOf // CountyNames, worked out once by BuildCampaign
	places    *Places  // the index of the spellings, built once by BuildCampaign
}

// County finds a county by exact name, full name or alias (after folding
// width and stripping 绍兴/绍兴市 and the 区/县/市 suffix).
func (c *Campaign) County(name string) (*County, bool) {
	key := CountyKey(name)
	if key == "" {
		return nil, false
	}
	for i := range c.Counties {
		for _, n := range c.countyNames(i) {
			if CountyKey(n) == key {
				return &c.Counties[i], true
			}
		}
	}
	return nil, false
}

func (c *Campaign) countyNames(i int) []string {
	co := c.Counties[i]
	return append([]string{co.Name, co.FullName}, co.Aliases...)
}

// Places is the campaign's county index for the grammar.
func (c *Campaign) Places() *Places {
	if c == nil {
		return nil
	}
	if c.places == nil {
		// A campaign not made by BuildCampaign (a literal in a test):
		// index it afresh rather than cache it, as several goroutines may
		// be reading the campaign.
		return newPlaces(c.CountyNames())
	}
	return c.places
}

// CountyNames returns every spelling that identifies a county, longest first,
// so a scanner can match 柯桥区 before 柯桥. Each maps to the canonical name.
func (c *Campaign) CountyNames() []NameOf {
	if c.spellings != nil {
		return c.spellings
	}
	return c.countySpellings()
}

func (c *Campaign) countySpellings() []NameOf {
	var out []NameOf
	seen := map[string]bool{}
	add := func(s, canon string) {
		s = strings.TrimSpace(s)
		if s == "" || seen[s] {
			return
		}
		seen[s] = true
		out = append(out, NameOf{Spelling: s, Canonical: canon})
	}
	for i := range c.Counties {
		co := c.Counties[i]
		for _, n := range c.countyNames(i) {
			for _, p := range []string{"", "绍兴", "绍兴市"} {
				add(p+n, co.Name)
			}
		}
	}
	sortLongestFirst(out)
	return out
}

// NameOf pairs a spelling with the canonical name it stands for.
type NameOf struct{ Spelling, Canonical string }

func sortLongestFirst(ns []NameOf) {
	// insertion sort: a few dozen names, and stable order matters for tests
	for i := 1; i < len(ns); i++ {
		for j := i; j > 0 && len([]rune(ns[j].Spelling)) > len([]rune(ns[j-1].Spelling)); j-- {
			ns[j], ns[j-1] = ns[j-1], ns[j]
		}
	}
}

// CountyKey normalises a county spelling: 绍兴市柯桥区 → 柯桥.
func CountyKey(s string) string {
	s = strings.TrimSpace(FoldWidth(s))
	s = strings.TrimPrefix(s, "绍兴市")
	s = strings.TrimPrefix(s, "绍兴")
	if r := []rune(s); len(r) > 2 {
		switch r[len(r)-1] {
		case '区', '县', '市':
			s = string(r[:len(r)-1])
		}
	}
	return s
}

// Total sums the targets of every county.
func (c *Campaign) Total() Counts {
	var t Counts
	for _, co := range c.Counties {
		t = t.Add(co.Target)
	}
	return t
}

// Validate checks the campaign for what would make the bot misbehave.
func (c *Campaign) Validate() error {
	if len(c.Counties) == 0 {
		return fmt.Errorf("campaign.counties: at least one county is needed")
	}
	seen := map[string]string{}
	for i, co := range c.Counties {
		if strings.TrimSpace(co.Name) == "" {
			return fmt.Errorf("campaign.counties[%d].name: empty", i)
		}
		for _, n := range c.countyNames(i) {
			k := CountyKey(n)
			if k == "" {
				continue
			}
			if other, dup := seen[k]; dup && other != co.Name {
				return fmt.Errorf("campaign.counties[%d]: name %q is also used by %s", i, n, other)
			}
			seen[k] = co.Name
		}
		for _, ind := range Indicators {
			if co.Target[ind] < 0 {
				return fmt.Errorf("campaign.counties[%d].%s: target below zero", i, ind.Key())
			}
		}
	}
	if !c.ListsDue.IsZero() && !c.AcceptanceFrom.IsZero() && c.AcceptanceFrom.Before(c.ListsDue) {
		return fmt.Errorf("campaign.acceptance_from: before lists_due")
	}
	// acceptance_to may be left out (the notice names only the month): the
	// zero time is before every date, so it is checked only when set.
	if !c.AcceptanceFrom.IsZero() && !c.AcceptanceTo.IsZero() && c.AcceptanceTo.Before(c.AcceptanceFrom) {
		return fmt.Errorf("campaign.acceptance_to: before acceptance_from")
	}
	return nil
}

// FoldWidth turns full-width ASCII (＋３, full-width space) into half-width.
func FoldWidth(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r == '\u3000' || (r >= 0xFF01 && r <= 0xFF5E) }) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\u3000':
			return ' '
		case r >= 0xFF01 && r <= 0xFF5E:
			return r - 0xFEE0
		}
		return r
	}, s)
}
