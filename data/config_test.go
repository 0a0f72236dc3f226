package data

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
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
		{name: "bad date", text: "[campaign]\nlists_due = \"9月30日\"\n", wantErr: "campaign.lists_due"},
		{name: "bad holiday", text: "[campaign]\nholidays = [\"2027-13-01\"]\n", wantErr: "campaign.holidays"},
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

// Exposed: the token when group or others may read the file, the webhook
// secret (which has no variable of its own) only when others may.
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
