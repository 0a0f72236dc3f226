package jobs

import (
	"testing"

	"tsbot/data"
	"tsbot/data/testkit"
)

// buildCampaign is the default Shaoxing campaign with tweak applied to the
// config: 2027, with the State Council's schedule (中秋 15 Sept and 国庆 1–7
// Oct off, Sunday 26 Sept and Saturday 9 Oct worked).
func buildCampaign(t testing.TB, tweak func(*data.Config)) (*data.Campaign, data.RemindersConfig) {
	t.Helper()
	cfg := data.DefaultConfig()
	if tweak != nil {
		tweak(&cfg)
	}
	c, err := cfg.BuildCampaign()
	if err != nil {
		t.Fatal(err)
	}
	return &c, cfg.Reminders
}

// nationalDayOnly is the calendar the default config had before the State
// Council's schedule came built in: 1–7 October typed by hand, no 中秋, no
// make-up days.
func nationalDayOnly(cfg *data.Config) {
	cfg.Campaign.OfficialHolidays = false
	cfg.Campaign.ExtraHolidays = []string{
		"2027-10-01", "2027-10-02", "2027-10-03", "2027-10-04",
		"2027-10-05", "2027-10-06", "2027-10-07",
	}
}

var (
	shanghai = testkit.Shanghai
	mustLoad = testkit.MustLoad
	local    = testkit.Local
	in       = testkit.In
)
