package data

import (
	"testing"
	"time"
)

// What check says of the calendar, at fixed instants of the 2027 campaign.
func TestCalendarLines(t *testing.T) {
	cfg := DefaultConfig()
	c, err := cfg.BuildCampaign()
	if err != nil {
		t.Fatal(err)
	}
	noSchedule := cfg
	noSchedule.Campaign.OfficialHolidays = false
	noSchedule.Campaign.ExtraHolidays = []string{"2027-10-01", "2027-10-02", "2027-10-04"}
	plain, err := noSchedule.BuildCampaign()
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02", s, c.Location)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name string
		c    *Campaign
		cc   CampaignConfig
		now  time.Time
		want string
	}{
		{"from September", &c, cfg.Campaign, at("2027-09-01"),
			"日历（国务院放假安排，2027年9月1日至10月31日）：放假 9月15日（中秋节）、10月1日至7日（国庆节）；调休上班 9月26日（周日）、10月9日（周六）"},
		{"the first day back", &c, cfg.Campaign, at("2027-10-08"),
			"日历（国务院放假安排，2027年10月8日至10月31日）：放假 无；调休上班 10月9日（周六）"},
		{"from the year before", &c, cfg.Campaign, at("2026-12-30"),
			"日历（国务院放假安排，2026年12月30日至2027年10月31日）：放假 1月1日至3日（元旦节）、2月5日至13日（春节）、4月3日至5日（清明节）、5月1日至5日（劳动节）、6月9日（端午节）、9月15日（中秋节）、10月1日至7日（国庆节）；调休上班 1月31日（周日）、2月14日（周日）、5月8日（周六）、9月26日（周日）、10月9日（周六）"},
		{"after the campaign", &c, cfg.Campaign, at("2027-11-01"), "日历：国务院放假安排；活动日期已过或未设"},
		{"the schedule off", &plain, noSchedule.Campaign, at("2027-09-01"),
			"日历（仅周末及配置的日期（official_holidays = false），2027年9月1日至10月31日）：放假 10月1日至2日（国庆节）、10月4日（国庆节）；调休上班 无"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CalendarLines(tt.c, tt.cc, tt.now)
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("CalendarLines =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}
