package data

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// The example file documents the defaults; if the two drift apart, this fails.
func TestConfigExampleIsTheDefault(t *testing.T) {
	cfg, err := LoadConfig("../config.example.toml")
	if err != nil {
		t.Fatalf("load example: %v", err)
	}
	if want := DefaultConfig(); !reflect.DeepEqual(cfg, want) {
		t.Errorf("config.example.toml differs from DefaultConfig():\n got %+v\nwant %+v", cfg, want)
	}
	c, err := cfg.BuildCampaign()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Total(), (Counts{1, 5, 42, 120}); got != want {
		t.Errorf("total targets = %v, want %v (附件1 合计)", got, want)
	}
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		wantErr string // substring naming the key at fault; "" for success
		check   func(t *testing.T, cfg Config)
	}{
		{name: "empty file is the default", text: "", check: func(t *testing.T, cfg Config) {
			if !reflect.DeepEqual(cfg, DefaultConfig()) {
				t.Error("empty config is not the default")
			}
		}},
		{name: "counties replace the default list", text: `
[[campaign.counties]]
name = "西湖"
full_name = "西湖区"
tutoring = 5
`, check: func(t *testing.T, cfg Config) {
			c, err := cfg.BuildCampaign()
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Counties) != 1 || c.Counties[0].Name != "西湖" || c.Counties[0].Target != (Counts{0, 0, 0, 5}) {
				t.Errorf("counties = %+v", c.Counties)
			}
		}},
		{name: "roster", text: `
[[roster]]
user_id = 42
role = "county"
county = "柯桥区"
name = "张三"
`, check: func(t *testing.T, cfg Config) {
			people, err := cfg.BuildRoster()
			if err != nil {
				t.Fatal(err)
			}
			if len(people) != 1 || people[0] != (Person{UserID: 42, Role: RoleCounty, County: "柯桥", Name: "张三"}) {
				t.Errorf("roster = %+v", people)
			}
		}},
		// The notice gives no end to the acceptance; the reminders then
		// count to acceptance_from, so an unset acceptance_to must load.
		{name: "acceptance without an end", text: "[campaign]\nacceptance_to = \"\"\n", check: func(t *testing.T, cfg Config) {
			c, err := cfg.BuildCampaign()
			if err != nil {
				t.Fatal(err)
			}
			if !c.AcceptanceTo.IsZero() || c.AcceptanceFrom.IsZero() {
				t.Errorf("acceptance = %v to %v, want a start and no end", c.AcceptanceFrom, c.AcceptanceTo)
			}
		}},
		{name: "acceptance ends before it starts", text: "[campaign]\nacceptance_to = \"2027-10-07\"\n", wantErr: "acceptance_to"},
		{name: "unknown key", text: "[database]\nfile = \"x.db\"\n", wantErr: "database.file"},
		{name: "reminder time", text: "[reminders]\ntime = \"9点\"\n", wantErr: "config: reminders.time: "},
		{name: "negative reminder days", text: "[reminders]\ndays_before = [7, -1]\n", wantErr: "config: reminders.days_before: -1"},
		{name: "weekly digest not a cron spec", text: "[reminders]\nweekly_digest = \"every monday\"\n", wantErr: "config: reminders.weekly_digest: "},
		{name: "backup time", text: "[backup]\ndir = \"/var/backups/tsbot\"\ntime = \"2:30pm\"\n", wantErr: "config: backup.time: "},
		{name: "backup keeps nothing", text: "[backup]\ndir = \"/var/backups/tsbot\"\nkeep = 0\n", wantErr: "config: backup.keep: 0"},
		{name: "backup keys ignored without a dir", text: "[backup]\ntime = \"2:30pm\"\nkeep = 0\n", check: func(t *testing.T, cfg Config) {
			if cfg.Backup.Keep != 0 {
				t.Errorf("keep = %d", cfg.Backup.Keep)
			}
		}},
		{name: "bad date", text: "[campaign]\nlists_due = \"9月30日\"\n", wantErr: "campaign.lists_due"},
		{name: "bad holiday", text: "[campaign]\nholidays = [\"2027-13-01\"]\n", wantErr: "campaign.holidays"},
		{name: "bad extra holiday", text: "[campaign]\nextra_holidays = [\"2027/10/08\"]\n", wantErr: "config: campaign.extra_holidays: "},
		{name: "bad extra workday", text: "[campaign]\nextra_workdays = [\"10月9日\"]\n", wantErr: "config: campaign.extra_workdays: "},
		// A list copied from another year would move nothing, silently.
		{name: "holiday of last year", text: "[campaign]\nholidays = [\"2026-10-01\"]\n", wantErr: "config: campaign.holidays: 2026-10-01 is not in the campaign's year 2027"},
		{name: "holiday of next year", text: "[campaign]\nextra_holidays = [\"2028-01-01\"]\n", wantErr: "config: campaign.extra_holidays: 2028-01-01"},
		{name: "workday of another year", text: "[campaign]\nworkdays = [\"2026-09-26\"]\n", wantErr: "config: campaign.workdays: 2026-09-26"},
		{name: "extra workday of another year", text: "[campaign]\nextra_workdays = [\"2026-09-26\"]\n", wantErr: "config: campaign.extra_workdays: 2026-09-26"},
		{name: "a date both off and worked", text: "[campaign]\nextra_holidays = [\"2027-10-02\"]\nextra_workdays = [\"2027-10-02\"]\n", wantErr: "config: campaign.extra_workdays: 2027-10-02 is also in campaign.extra_holidays"},
		{name: "a date off in the old key and worked in the new", text: "[campaign]\nholidays = [\"2027-09-24\"]\nextra_workdays = [\"2027-09-24\"]\n", wantErr: "config: campaign.extra_workdays: 2027-09-24 is also in campaign.holidays"},
		{name: "no working weekday", text: "[campaign]\nweekend = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"]\n", wantErr: "config: campaign.weekend: every day"},
		{name: "official_holidays not a boolean", text: "[campaign]\nofficial_holidays = \"yes\"\n", wantErr: "campaign.official_holidays"},
		{name: "bad weekend", text: "[campaign]\nweekend = [\"周六\"]\n", wantErr: "campaign.weekend"},
		{name: "bad timezone", text: "[campaign]\ntimezone = \"Mars/Olympus\"\n", wantErr: "campaign.timezone"},
		{name: "acceptance before deadline", text: "[campaign]\nacceptance_from = \"2027-09-01\"\n", wantErr: "acceptance_from"},
		{name: "negative target", text: "[[campaign.counties]]\nname = \"越城\"\ntutoring = -1\n", wantErr: "tutoring"},
		{name: "duplicate county name", text: "[[campaign.counties]]\nname = \"越城\"\n[[campaign.counties]]\nname = \"越城区\"\n", wantErr: "also used"},
		{name: "unknown roster county", text: "[[roster]]\nuser_id = 1\nrole = \"county\"\ncounty = \"杭州\"\n", wantErr: "roster[0].county"},
		{name: "unknown role", text: "[[roster]]\nuser_id = 1\nrole = \"boss\"\n", wantErr: "roster[0].role"},
		{name: "missing user id", text: "[[roster]]\nrole = \"admin\"\n", wantErr: "roster[0].user_id"},
		{name: "user listed twice", text: "[[roster]]\nuser_id = 1\nrole = \"admin\"\n[[roster]]\nuser_id = 1\nrole = \"viewer\"\n", wantErr: "roster[1].user_id"},
		{name: "right-to-left override in a roster name", text: "[[roster]]\nuser_id = 1\nrole = \"admin\"\nname = \"张\\u202E三\"\n", wantErr: "roster[0].name: \"张\\u202e三\" has a text-direction control character (U+202E)"},
		{name: "right-to-left mark in a roster name", text: "[[roster]]\nuser_id = 1\nrole = \"admin\"\n[[roster]]\nuser_id = 2\nrole = \"viewer\"\nname = \"王局\\u200F\"\n", wantErr: "roster[1].name"},
		{name: "not toml", text: "[campaign\n", wantErr: "config:"},
		{name: "mode typo", text: "[telegram]\nmode = \"webhok\"\n", wantErr: "config: telegram.mode: "},
		{name: "webhook without url", text: "[telegram]\nmode = \"webhook\"\n", wantErr: "config: telegram.webhook_url: "},
		{name: "webhook with a bad listen address", text: "[telegram]\nmode = \"webhook\"\nwebhook_url = \"https://x.example/h\"\nwebhook_listen = \":http-alt:\"\n", wantErr: "config: telegram.webhook_listen: "},
		{name: "api_url not a url", text: "[telegram]\napi_url = \"localhost:8081\"\n", wantErr: "config: telegram.api_url: "},
		{name: "sqlite without a path", text: "[database]\npath = \"\"\n", wantErr: "config: database.path: "},
		{name: "chart font missing", text: "[chart]\nfont = \"/nonexistent/NotoSansCJK-Regular.ttc\"\n", wantErr: "config: chart.font: "},
		{name: "chart font a folder", text: "[chart]\nfont = \"/\"\n", wantErr: "config: chart.font: / is not a font file"},
		{name: "token not quoted", text: "[telegram]\ntoken = 123:abc\n", wantErr: "config: telegram.token: line 2: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig(tt.text)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "123:") || strings.Contains(err.Error(), "webhok") {
					t.Errorf("err = %v quotes the value", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, cfg)
		})
	}
}

func TestCountyLookup(t *testing.T) {
	c, err := DefaultConfig().BuildCampaign()
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{"柯桥", "柯桥区", "绍兴柯桥", "绍兴市柯桥区", " 柯桥 ", "诸暨市", "新昌县"} {
		co, ok := c.County(in)
		if !ok {
			t.Errorf("County(%q) not found", in)
			continue
		}
		if want := strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(in), "绍兴市"), "绍兴"), "区"), "市")); co.Name != strings.TrimSuffix(want, "县") {
			t.Errorf("County(%q) = %s", in, co.Name)
		}
	}
	for _, in := range []string{"", "杭州", "柯", "区"} {
		if co, ok := c.County(in); ok {
			t.Errorf("County(%q) = %s, want none", in, co.Name)
		}
	}
}

// Exposed: the token and the DingTalk client secret when group or others
// may read the file, the webhook and robot secrets (which have no variable
// of their own) only when others may.
func TestExposedSecrets(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		text string
		mode os.FileMode
		want []string
	}{
		{"token private", "[telegram]\ntoken = \"1:a\"\n", 0o600, nil},
		{"token group", "[telegram]\ntoken = \"1:a\"\n", 0o640, []string{"telegram.token"}},
		{"no secret", "[telegram]\nmode = \"polling\"\n", 0o644, nil},
		{"secret group", "[telegram]\nwebhook_secret = \"s\"\n", 0o640, nil},
		{"secret others", "[telegram]\nwebhook_secret = \"s\"\n", 0o644, []string{"telegram.webhook_secret"}},
		{"dingtalk private", "[dingtalk]\nclient_secret = \"x\"\n", 0o600, nil},
		{"dingtalk group", "[dingtalk]\nclient_secret = \"x\"\n", 0o640, []string{"dingtalk.client_secret"}},
		{"robot group", "[[campaign.counties]]\nname = \"柯桥\"\nrobot_webhook = \"abc\"\nrobot_secret = \"SECx\"\n", 0o640, nil},
		{"robot others", "[[campaign.counties]]\nname = \"柯桥\"\nrobot_webhook = \"abc\"\nrobot_secret = \"SECx\"\n", 0o604, []string{"campaign.counties[0].robot_secret"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".toml")
			if err := os.WriteFile(path, []byte(tc.text), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			cfg, err := LoadConfig(path)
			if err != nil {
				t.Fatal(err)
			}
			keys, mode, err := cfg.Exposed(path)
			if err != nil || mode != tc.mode || !reflect.DeepEqual(keys, tc.want) {
				t.Errorf("Exposed = %v, %04o, %v; want %v", keys, mode, err, tc.want)
			}
		})
	}
}

// The config adds days off and working days over the State Council's
// schedule, or turns the schedule off; old files' holidays and workdays keep
// working. now is fixed: the campaign is 2027's.
func TestCalendarConfig(t *testing.T) {
	tests := []struct {
		name string
		text string
		days map[string]bool // date → a working day
	}{
		{"default: the 2027 schedule", "", map[string]bool{
			"2027-09-15": false, "2027-09-26": true, "2027-10-01": false, "2027-10-09": true, "2027-09-24": true,
		}},
		{"extra days override the schedule", `[campaign]
extra_holidays = ["2027-09-24", "2027-10-09"]
extra_workdays = ["2027-10-07"]
`, map[string]bool{
			"2027-09-24": false, // a local day off, Friday
			"2027-10-09": false, // a make-up Saturday taken back
			"2027-10-07": true,  // a holiday taken back
			"2027-10-06": false, "2027-09-15": false, "2027-09-26": true,
		}},
		{"the schedule off: weekends and the extra days only", `[campaign]
official_holidays = false
extra_holidays = ["2027-10-01"]
`, map[string]bool{
			"2027-09-15": true, "2027-09-26": false, "2027-10-01": false, "2027-10-04": true, "2027-10-09": false,
		}},
		{"an old file's holidays and workdays", `[campaign]
holidays = ["2027-10-01", "2027-10-02", "2027-10-03", "2027-10-04", "2027-10-05", "2027-10-06", "2027-10-07", "2027-09-24"]
workdays = ["2027-09-18"]
`, map[string]bool{
			"2027-09-24": false, "2027-09-18": true, "2027-09-15": false, "2027-09-26": true, "2027-10-05": false,
		}},
		{"a campaign over the year end takes both years", `[campaign]
lists_due = "2027-12-31"
acceptance_from = "2028-01-04"
acceptance_to = "2028-01-31"
extra_holidays = ["2028-01-14"]
`, map[string]bool{
			"2027-10-01": false, "2028-01-03": true, "2028-01-14": false,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			c, err := cfg.BuildCampaign()
			if err != nil {
				t.Fatal(err)
			}
			cal := NewCalendar(&c)
			for day, want := range tt.days {
				d, err := time.ParseInLocation("2006-01-02", day, c.Location)
				if err != nil {
					t.Fatal(err)
				}
				if got := cal.IsWorkingDay(d); got != want {
					t.Errorf("IsWorkingDay(%s) = %v, want %v", day, got, want)
				}
			}
			for _, h := range c.Holidays {
				if slices.ContainsFunc(c.Workdays, h.Equal) {
					t.Errorf("%s is both a holiday and a workday", h.Format("2006-01-02"))
				}
			}
		})
	}
}

// A year lunar-go carries no schedule for is told apart from one without a
// holiday, so check can warn.
func TestOfficialSchedule(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		year    int
		ok      bool
		contain []string // "2006-01-02 名字 off|work"
	}{
		{"2027", 2027, true, []string{"2027-09-15 中秋节 off", "2027-09-26 国庆节 work", "2027-10-01 国庆节 off", "2027-10-07 国庆节 off", "2027-10-09 国庆节 work", "2027-01-01 元旦节 off"}},
		{"2026", 2026, true, []string{"2026-10-01 国庆节 off"}},
		{"far beyond the data", 2099, false, nil},
		{"before the data", 1999, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			days, ok := OfficialSchedule(tt.year, loc)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			var got []string
			for _, d := range days {
				kind := "off"
				if d.Work {
					kind = "work"
				}
				got = append(got, d.Date.Format("2006-01-02")+" "+d.Name+" "+kind)
				if d.Date.Location() != loc || d.Date.Hour() != 0 {
					t.Errorf("%s is not local midnight", d.Date)
				}
			}
			for _, w := range tt.contain {
				if !slices.Contains(got, w) {
					t.Errorf("%s missing from %v", w, got)
				}
			}
		})
	}
	if got := OfficialName(time.Date(2027, 9, 15, 0, 0, 0, 0, loc)); got != "中秋节" {
		t.Errorf("OfficialName(2027-09-15) = %q, want 中秋节", got)
	}
}

func TestUnscheduledYears(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []int
	}{
		{"2027 is carried", "", nil},
		{"2099 is not", "[campaign]\ncultivation_due = \"2099-08-31\"\nlists_due = \"2099-09-30\"\nacceptance_from = \"2099-10-08\"\nacceptance_to = \"2100-01-31\"\n", []int{2099, 2100}},
		{"the schedule off: nothing to miss", "[campaign]\nofficial_holidays = false\nlists_due = \"2099-09-30\"\ncultivation_due = \"\"\nacceptance_from = \"\"\nacceptance_to = \"\"\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			c, err := cfg.BuildCampaign()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.Unscheduled, tt.want) {
				t.Errorf("Unscheduled = %v, want %v", c.Unscheduled, tt.want)
			}
		})
	}
}

// TestDingTalkSecretFromTheEnvironment: a file that turns DingTalk on
// without client_secret parses (the secret comes from
// DINGTALK_CLIENT_SECRET); validating without it names the key.
func TestDingTalkSecretFromTheEnvironment(t *testing.T) {
	cfg, err := ParseConfig("[dingtalk]\nenabled = true\nclient_id = \"dingabc\"\n")
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if err := cfg.Validate(); !errors.Is(err, ErrNoDingTalkSecret) || !strings.Contains(err.Error(), "dingtalk.client_secret") {
		t.Errorf("validate without the secret: %v", err)
	}
	cfg.DingTalk.ClientSecret = "from-the-environment"
	if err := cfg.Validate(); err != nil {
		t.Errorf("validate with the secret: %v", err)
	}
}
