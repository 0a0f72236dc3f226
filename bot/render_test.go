package bot

import (
	"testing"
	"time"

	"tsbot/data"
)

func TestDeadlineLine(t *testing.T) {
	cfg := data.DefaultConfig() // 2027, lists due Thursday 30 September
	c, err := cfg.BuildCampaign()
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04", s, c.Location)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name string
		now  time.Time
		want string
	}{
		{"a Monday, Mid-Autumn behind, the 调休 Sunday ahead", at("2027-09-20 09:00"), "距9月30日报送名单截止\n还有10天（9个工作日）"},
		{"Friday the 24th: five working days with Sunday the 26th", at("2027-09-24 17:00"), "距9月30日报送名单截止\n还有6天（5个工作日）"},
		{"the evening before", at("2027-09-29 23:59"), "距9月30日报送名单截止\n还有1天（1个工作日）"},
		{"on the day", at("2027-09-30 00:00"), "今天（9月30日）是报送名单截止日"},
		// Hour arithmetic rounded -12h to 0 and said this on 1 October too.
		{"the morning after", at("2027-10-01 09:00"), ""},
		{"a week after", at("2027-10-07 09:00"), ""},
		{"a UTC instant is read in Shanghai", time.Date(2027, 9, 29, 16, 30, 0, 0, time.UTC), "今天（9月30日）是报送名单截止日"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := deadlineLine(&c, tt.now); got != tt.want {
				t.Errorf("deadlineLine(%s) = %q, want %q", tt.now, got, tt.want)
			}
		})
	}
}
