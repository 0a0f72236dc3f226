package data

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// Config is the whole configuration file. Every section has a built-in
// default (DefaultConfig), so the bot runs with no file at all.
type Config struct {
	Telegram  TelegramConfig  `toml:"telegram"`
	Database  DatabaseConfig  `toml:"database"`
	Campaign  CampaignConfig  `toml:"campaign"`
	Roster    []PersonConfig  `toml:"roster"`
	Reminders RemindersConfig `toml:"reminders"`
	Backup    BackupConfig    `toml:"backup"`
	DingTalk  DingTalkConfig  `toml:"dingtalk"`
	Chart     ChartConfig     `toml:"chart"`
}

// ChartConfig is the /chart picture.
type ChartConfig struct {
	// Font is a CJK font file (.ttc, .otf, .ttf) to draw it with; "": the
	// first installed of the usual places (fonts-noto-cjk and others).
	Font string `toml:"font"`
}

// DingTalkConfig is the DingTalk channel: an internal app (企业内部应用) with a
// robot in Stream mode. The secret is better given in the
// DINGTALK_CLIENT_SECRET environment variable than written here.
type DingTalkConfig struct {
	Enabled      bool   `toml:"enabled"`
	ClientID     string `toml:"client_id"`     // the app's AppKey / Client ID
	ClientSecret string `toml:"client_secret"` // the app's AppSecret / Client Secret
	RobotCode    string `toml:"robot_code"`    // the robot's code, for proactive sends
	APIURL       string `toml:"api_url"`       // https://api.dingtalk.com
	// RobotWebhookURL is the address custom group robots post to; a county's
	// robot_webhook may give a whole URL of its own instead.
	RobotWebhookURL string `toml:"robot_webhook_url"`
}

// TelegramConfig says how to reach the Bot API. The token is better given in
// the TELEGRAM_BOT_TOKEN environment variable than written here.
type TelegramConfig struct {
	Token         string `toml:"token"`
	APIURL        string `toml:"api_url"`
	Mode          string `toml:"mode"` // "polling" or "webhook"
	WebhookListen string `toml:"webhook_listen"`
	WebhookURL    string `toml:"webhook_url"`
	WebhookSecret string `toml:"webhook_secret"`
}

// DatabaseConfig selects the store: SQLite (default, a file) or PostgreSQL.
type DatabaseConfig struct {
	Driver string `toml:"driver"` // "sqlite" or "postgres"
	Path   string `toml:"path"`   // SQLite file
	DSN    string `toml:"dsn"`    // PostgreSQL connection string
}

// CampaignConfig is the year's programme: dates, calendar and county targets.
type CampaignConfig struct {
	Name           string   `toml:"name"`
	Timezone       string   `toml:"timezone"`
	CultivationDue string   `toml:"cultivation_due"`
	ListsDue       string   `toml:"lists_due"`
	AcceptanceFrom string   `toml:"acceptance_from"`
	AcceptanceTo   string   `toml:"acceptance_to"`
	Weekend        []string `toml:"weekend"` // e.g. ["sat", "sun"]
	// The working calendar: the State Council's days off and make-up working
	// days (调休上班) for the campaign's years, from lunar-go's holiday data,
	// unless OfficialHolidays is off; then the extra days, which override it.
	OfficialHolidays bool     `toml:"official_holidays"`
	ExtraHolidays    []string `toml:"extra_holidays"` // days off added, "2006-01-02" (or a make-up day taken back)
	ExtraWorkdays    []string `toml:"extra_workdays"` // working days added (or a holiday taken back)
	// Holidays and Workdays are the keys of before the State Council's
	// schedule came built in; a file that still has them means the same as
	// extra_holidays and extra_workdays (check suggests the rename).
	Holidays []string       `toml:"holidays"`
	Workdays []string       `toml:"workdays"`
	Counties []CountyConfig `toml:"counties"`
}

// CountyConfig is one row of 附件1.
type CountyConfig struct {
	Name              string   `toml:"name"`
	FullName          string   `toml:"full_name"`
	Aliases           []string `toml:"aliases"`
	Zone              int      `toml:"zone"`
	ProvincialStation int      `toml:"provincial_station"`
	CityStation       int      `toml:"city_station"`
	Tutoring          int      `toml:"tutoring"`
	ChatID            int64    `toml:"chat_id"`
	// The county's DingTalk group: the app robot's group (its
	// openConversationId), and/or a custom robot (自定义机器人) of the group,
	// its webhook URL and signing secret, for reminders and the digest.
	OpenConversationID string `toml:"open_conversation_id"`
	RobotWebhook       string `toml:"robot_webhook"`
	RobotSecret        string `toml:"robot_secret"`
}

// PersonConfig seeds the roster. Admins add more people from chat.
type PersonConfig struct {
	UserID     int64  `toml:"user_id"`     // Telegram user id; 0: not on Telegram
	DingTalkID string `toml:"dingtalk_id"` // DingTalk staff id; "": not on DingTalk
	Role       string `toml:"role"`        // "admin", "county" or "viewer"
	County     string `toml:"county"`      // for role "county"
	Name       string `toml:"name"`
}

// RemindersConfig is the reminder schedule; times are local to campaign.timezone.
type RemindersConfig struct {
	Enabled        bool   `toml:"enabled"`
	Time           string `toml:"time"`            // "09:00"
	DaysBefore     []int  `toml:"days_before"`     // working days before lists_due; 0 is the day itself
	WeeklyDigest   string `toml:"weekly_digest"`   // cron spec, e.g. "0 9 * * 1"
	ContactChatID  int64  `toml:"contact_chat_id"` // where the contact person's digest goes; 0: every admin
	AcceptanceNote bool   `toml:"acceptance"`      // remind around the October holiday
}

// BackupConfig is the daily backup of the SQLite file.
type BackupConfig struct {
	Dir  string `toml:"dir"`  // empty: no daily backup
	Keep int    `toml:"keep"` // how many copies to keep
	Time string `toml:"time"` // "02:30"
}

const dateLayout = "2006-01-02"

// DefaultConfig is the built-in configuration: the Shaoxing targets of 附件1 on
// SQLite. config.example.toml spells out exactly this (a test keeps them equal).
func DefaultConfig() Config {
	county := func(name, full string, aliases []string, t Counts) CountyConfig {
		return CountyConfig{Name: name, FullName: full, Aliases: aliases,
			Zone: t[Zone], ProvincialStation: t[ProvincialStation], CityStation: t[CityStation], Tutoring: t[Tutoring]}
	}
	return Config{
		Telegram: TelegramConfig{APIURL: "https://api.telegram.org", Mode: "polling", WebhookListen: "127.0.0.1:8443"},
		DingTalk: DingTalkConfig{APIURL: "https://api.dingtalk.com", RobotWebhookURL: "https://oapi.dingtalk.com/robot/send"},
		Database: DatabaseConfig{Driver: "sqlite", Path: "tsbot.db"},
		Campaign: CampaignConfig{
			Name:           "绍兴市商业秘密保护示范单位培育",
			Timezone:       "Asia/Shanghai",
			CultivationDue: "2027-08-31",
			ListsDue:       "2027-09-30",
			AcceptanceFrom: "2027-10-08",
			AcceptanceTo:   "2027-10-31",
			Weekend:        []string{"sat", "sun"},
			// 2027 from lunar-go: 中秋 15 Sept and 国庆 1–7 Oct off, Sunday 26
			// Sept and Saturday 9 Oct worked.
			OfficialHolidays: true,
			ExtraHolidays:    []string{},
			ExtraWorkdays:    []string{},
			Counties: []CountyConfig{
				county("越城", "越城区", []string{}, Counts{1, 0, 7, 20}),
				county("柯桥", "柯桥区", []string{}, Counts{0, 1, 7, 20}),
				county("上虞", "上虞区", []string{}, Counts{0, 1, 7, 20}),
				county("诸暨", "诸暨市", []string{}, Counts{0, 1, 7, 20}),
				county("新昌", "新昌县", []string{}, Counts{0, 1, 7, 20}),
				county("嵊州", "嵊州市", []string{}, Counts{0, 1, 7, 20}),
			},
		},
		Roster: []PersonConfig{},
		Reminders: RemindersConfig{
			Enabled:        true,
			Time:           "09:00",
			DaysBefore:     []int{30, 14, 7, 3, 1, 0},
			WeeklyDigest:   "0 9 * * 1",
			AcceptanceNote: true,
		},
		Backup: BackupConfig{Dir: "", Keep: 14, Time: "02:30"},
	}
}

// LoadConfig reads a TOML file over the defaults. An empty path means defaults.
// Unknown keys are an error naming the key, so a typo never goes unnoticed.
func LoadConfig(path string) (Config, error) {
	cfg := DefaultConfig()
	if path == "" {
		return cfg, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	return ParseConfig(string(raw))
}

// ParseConfig parses TOML text over the defaults.
func ParseConfig(text string) (Config, error) {
	cfg := DefaultConfig()
	// A file that lists counties or holidays replaces the default lists whole.
	md, err := toml.Decode(text, &cfg)
	if err != nil {
		return cfg, tomlError(err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return cfg, fmt.Errorf("config: unknown key %s", strings.Join(keys, ", "))
	}
	if md.IsDefined("campaign", "counties") {
		// toml.Decode merges an array of tables element by element into the
		// default slice; the file's list must replace the default whole.
		var fresh struct {
			Campaign struct {
				Counties []CountyConfig `toml:"counties"`
			} `toml:"campaign"`
		}
		if _, err := toml.Decode(text, &fresh); err != nil {
			return cfg, tomlError(err)
		}
		cfg.Campaign.Counties = fresh.Campaign.Counties
	}
	// The DingTalk secret belongs in DINGTALK_CLIENT_SECRET, which the
	// caller fills in and validates again (main's loadConfig): a file
	// without it is whole.
	if err := cfg.Validate(); err != nil && !errors.Is(err, ErrNoDingTalkSecret) {
		return cfg, err
	}
	return cfg, nil
}

// tomlError names the line and key of a TOML syntax error but leaves out the
// text the parser quotes: the line may hold the token or a password.
func tomlError(err error) error {
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		// A value of the wrong type ("yes" for a boolean) comes as plain
		// text: `toml: line 2 (last key "campaign.x"): incompatible types: …`.
		if m := typeError.FindStringSubmatch(err.Error()); m != nil {
			return &redactedError{msg: fmt.Sprintf("config: %s: line %s: %s", m[2], m[1], quoted.ReplaceAllString(m[3], "…")), err: err}
		}
		return &redactedError{msg: "config: malformed TOML", err: err}
	}
	msg := quoted.ReplaceAllString(pe.Message, "…")
	if pe.LastKey != "" {
		return &redactedError{msg: fmt.Sprintf("config: %s: line %d: %s", pe.LastKey, pe.Position.Line, msg), err: err}
	}
	return &redactedError{msg: fmt.Sprintf("config: line %d: %s", pe.Position.Line, msg), err: err}
}

// typeError is how the decoder words a value that does not fit its key.
var typeError = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]+)"\): (.*)$`)

// quoted is a fragment of the input that a TOML error message quotes.
var quoted = regexp.MustCompile(`"[^"]*"|'[^']*'`)

// redactedError says what went wrong without quoting the input; the cause,
// which may quote it, stays reachable through errors.As for code, never
// printed.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// ErrNoDingTalkSecret is returned when DingTalk is on without its secret.
var ErrNoDingTalkSecret = errors.New("no DingTalk client secret")

// BuildCampaign turns the campaign section into the domain type, naming the
// config key at fault on error.
func (cfg Config) BuildCampaign() (Campaign, error) {
	cc := cfg.Campaign
	tz := cc.Timezone
	if tz == "" {
		tz = "Asia/Shanghai"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return Campaign{}, fmt.Errorf("config: campaign.timezone: %w", err)
	}
	c := Campaign{Name: cc.Name, Location: loc}
	dates := []struct {
		key string
		val string
		dst *time.Time
	}{
		{"cultivation_due", cc.CultivationDue, &c.CultivationDue},
		{"lists_due", cc.ListsDue, &c.ListsDue},
		{"acceptance_from", cc.AcceptanceFrom, &c.AcceptanceFrom},
		{"acceptance_to", cc.AcceptanceTo, &c.AcceptanceTo},
	}
	for _, d := range dates {
		if d.val == "" {
			continue
		}
		t, err := time.ParseInLocation(dateLayout, d.val, loc)
		if err != nil {
			return Campaign{}, fmt.Errorf("config: campaign.%s: %q is not a date like 2027-09-30", d.key, d.val)
		}
		*d.dst = t
	}
	off := map[time.Weekday]bool{}
	for _, w := range cc.Weekend {
		d, ok := ParseWeekday(w)
		if !ok {
			return Campaign{}, fmt.Errorf("config: campaign.weekend: %q is not a weekday (mon … sun)", w)
		}
		c.Weekend = append(c.Weekend, d)
		off[d] = true
	}
	if len(off) == 7 {
		return Campaign{}, errors.New("config: campaign.weekend: every day of the week is off")
	}
	if err := c.resolveCalendar(cc); err != nil {
		return Campaign{}, err
	}
	for _, co := range cc.Counties {
		c.Counties = append(c.Counties, County{
			Name: strings.TrimSpace(co.Name), FullName: strings.TrimSpace(co.FullName), Aliases: co.Aliases,
			Target: Counts{co.Zone, co.ProvincialStation, co.CityStation, co.Tutoring},
			ChatID: co.ChatID,
		})
	}
	if err := c.Validate(); err != nil {
		return Campaign{}, fmt.Errorf("config: %w", err)
	}
	c.spellings = c.countySpellings()
	c.places = newPlaces(c.spellings)
	return c, nil
}

// resolveCalendar fills c.Holidays and c.Workdays: the State Council's
// schedule for every year from the first to the last campaign date, then the
// config's extra days over it. An extra day outside those years is refused:
// it is a list copied from another year, and would silently move nothing.
func (c *Campaign) resolveCalendar(cc CampaignConfig) error {
	first, last, dated := c.years()
	kind := map[string]bool{} // date → a working day (true) or a day off (false)
	if cc.OfficialHolidays && dated {
		for y := first; y <= last; y++ {
			days, ok := OfficialSchedule(y, c.Location)
			if !ok {
				c.Unscheduled = append(c.Unscheduled, y)
			}
			for _, d := range days {
				kind[d.Date.Format(dateLayout)] = d.Work
			}
		}
	}
	extra := map[string]string{} // date → the key that listed it
	for _, l := range []struct {
		key  string
		vals []string
		work bool
	}{
		{"extra_holidays", cc.ExtraHolidays, false}, {"holidays", cc.Holidays, false},
		{"extra_workdays", cc.ExtraWorkdays, true}, {"workdays", cc.Workdays, true},
	} {
		for _, v := range l.vals {
			t, err := time.ParseInLocation(dateLayout, strings.TrimSpace(v), c.Location)
			if err != nil {
				return fmt.Errorf("config: campaign.%s: %q is not a date like 2027-10-01", l.key, v)
			}
			if dated && (t.Year() < first || t.Year() > last) {
				return fmt.Errorf("config: campaign.%s: %s is not in the campaign's %s (from its dates)", l.key, v, yearSpan(first, last))
			}
			ymd := t.Format(dateLayout)
			if other, dup := extra[ymd]; dup && kind[ymd] != l.work {
				return fmt.Errorf("config: campaign.%s: %s is also in campaign.%s", l.key, v, other)
			}
			extra[ymd] = l.key
			kind[ymd] = l.work
		}
	}
	dates := make([]string, 0, len(kind))
	for ymd := range kind {
		dates = append(dates, ymd)
	}
	slices.Sort(dates)
	for _, ymd := range dates {
		t, _ := time.ParseInLocation(dateLayout, ymd, c.Location)
		if kind[ymd] {
			c.Workdays = append(c.Workdays, t)
		} else {
			c.Holidays = append(c.Holidays, t)
		}
	}
	return nil
}

// years spans the years of the campaign's dates; dated is false when none is set.
func (c *Campaign) years() (first, last int, dated bool) {
	for _, t := range []time.Time{c.CultivationDue, c.ListsDue, c.AcceptanceFrom, c.AcceptanceTo} {
		if t.IsZero() {
			continue
		}
		y := t.Year()
		if !dated || y < first {
			first = y
		}
		if !dated || y > last {
			last = y
		}
		dated = true
	}
	return first, last, dated
}

func yearSpan(first, last int) string {
	if first == last {
		return fmt.Sprintf("year %d", first)
	}
	return fmt.Sprintf("years %d–%d", first, last)
}

// ParseWeekday reads "mon" … "sun" (or the full English name).
func ParseWeekday(s string) (time.Weekday, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		if s == name || s == name[:3] {
			return d, true
		}
	}
	return 0, false
}

// BuildRoster validates the roster section against the campaign.
func (cfg Config) BuildRoster() ([]Person, error) {
	c, err := cfg.BuildCampaign()
	if err != nil {
		return nil, err
	}
	return cfg.buildRoster(&c)
}

func (cfg Config) buildRoster(c *Campaign) ([]Person, error) {
	var out []Person
	seen := map[int64]bool{}
	seenDT := map[string]bool{}
	for i, p := range cfg.Roster {
		if p.UserID == 0 && p.DingTalkID == "" {
			return nil, fmt.Errorf("config: roster[%d].user_id: missing (or dingtalk_id)", i)
		}
		if p.UserID < 0 {
			return nil, fmt.Errorf("config: roster[%d].user_id: %d is not a Telegram user id", i, p.UserID)
		}
		if p.UserID != 0 && seen[p.UserID] {
			return nil, fmt.Errorf("config: roster[%d].user_id: %d listed twice", i, p.UserID)
		}
		seen[p.UserID] = true
		if p.DingTalkID != "" {
			if seenDT[p.DingTalkID] {
				return nil, fmt.Errorf("config: roster[%d].dingtalk_id: %q listed twice", i, p.DingTalkID)
			}
			if !ValidStaffID(p.DingTalkID) {
				return nil, fmt.Errorf("config: roster[%d].dingtalk_id: %q is not a DingTalk staff id", i, p.DingTalkID)
			}
			seenDT[p.DingTalkID] = true
		}
		if k := strings.IndexFunc(p.Name, IsBidiControl); k >= 0 {
			r, _ := utf8.DecodeRuneInString(p.Name[k:])
			return nil, fmt.Errorf("config: roster[%d].name: %q has a text-direction control character (%U)", i, p.Name, r)
		}
		role := Role(p.Role)
		person := Person{UserID: p.UserID, Role: role, Name: p.Name}
		if p.DingTalkID != "" {
			id := p.DingTalkID
			person.DingTalkID = &id
		}
		switch role {
		case RoleAdmin, RoleViewer:
		case RoleCounty:
			co, ok := c.County(p.County)
			if !ok {
				return nil, fmt.Errorf("config: roster[%d].county: unknown county %q", i, p.County)
			}
			person.County = co.Name
		default:
			return nil, fmt.Errorf("config: roster[%d].role: %q is not admin, county or viewer", i, p.Role)
		}
		out = append(out, person)
	}
	return out, nil
}

// ValidStaffID reports whether s can be a DingTalk staff id (userid): up to
// 64 letters, digits and - _ . characters.
func ValidStaffID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// ErrNoToken is returned when a Telegram run has no token.
var ErrNoToken = errors.New("no Telegram bot token")
