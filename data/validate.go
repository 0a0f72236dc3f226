package data

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Checking a config: every section, before anything starts, each error
// naming its key ("config: telegram.mode: …").

// Validate checks the whole configuration, naming the key at fault
// ("config: telegram.mode: …"). Every subcommand, run and check alike, calls
// it, so check accepts exactly what a start accepts. The values of the
// telegram and database sections are never quoted back: a token or a
// password pasted into the wrong key would end up in a log or a terminal.
// Every section is checked here, before anything starts.
func (cfg Config) Validate() error {
	_, err := cfg.Build()
	return err
}

// Built is what a valid config makes: the campaign and the roster, built
// once per start.
type Built struct {
	Campaign Campaign
	Roster   []Person
}

// Build validates every section and builds the campaign and the roster:
// what a start, and check, do once.
func (cfg Config) Build() (Built, error) {
	if err := cfg.Telegram.validate(); err != nil {
		return Built{}, err
	}
	if err := cfg.Database.validate(); err != nil {
		return Built{}, err
	}
	if err := cfg.Reminders.validate(); err != nil {
		return Built{}, err
	}
	if err := cfg.Backup.validate(); err != nil {
		return Built{}, err
	}
	if err := cfg.validateDingTalk(); err != nil {
		return Built{}, err
	}
	if err := cfg.Chart.validate(); err != nil {
		return Built{}, err
	}
	c, err := cfg.BuildCampaign()
	if err != nil {
		return Built{}, err
	}
	r, err := cfg.buildRoster(&c)
	if err != nil {
		return Built{}, err
	}
	return Built{Campaign: c, Roster: r}, nil
}

// validateDingTalk checks the [dingtalk] section and the counties' DingTalk
// keys. Like telegram's, its values are never quoted back.
func (cfg Config) validateDingTalk() error {
	dc := cfg.DingTalk
	if dc.APIURL != "" && !httpURL(dc.APIURL) {
		return errors.New("config: dingtalk.api_url: not an http(s) URL such as https://api.dingtalk.com")
	}
	if dc.RobotWebhookURL != "" && !httpURL(dc.RobotWebhookURL) {
		return errors.New("config: dingtalk.robot_webhook_url: not an http(s) URL such as https://oapi.dingtalk.com/robot/send")
	}
	if dc.Enabled {
		if dc.ClientID == "" {
			return errors.New("config: dingtalk.client_id: empty (dingtalk.enabled needs the app's Client ID, AppKey)")
		}
		if dc.ClientSecret == "" {
			return fmt.Errorf("config: dingtalk.client_secret: empty (set DINGTALK_CLIENT_SECRET in the environment): %w", ErrNoDingTalkSecret)
		}
		if dc.ClientSecret == dc.ClientID {
			return errors.New("config: dingtalk.client_secret: the same as client_id: copy the Client Secret (AppSecret)")
		}
	}
	for i, c := range cfg.Campaign.Counties {
		if c.RobotWebhook != "" && !httpURL(c.RobotWebhook) && strings.ContainsAny(c.RobotWebhook, "/:?= ") {
			return fmt.Errorf("config: campaign.counties[%d].robot_webhook: not a URL nor an access token", i)
		}
		if c.RobotWebhook != "" && c.RobotSecret == "" {
			return fmt.Errorf("config: campaign.counties[%d].robot_secret: empty (a custom robot with 加签 has a secret starting SEC)", i)
		}
		if c.RobotSecret != "" && c.RobotWebhook == "" {
			return fmt.Errorf("config: campaign.counties[%d].robot_webhook: empty while robot_secret is set", i)
		}
		if c.OpenConversationID != "" && (!dc.Enabled || dc.RobotCode == "") {
			return fmt.Errorf("config: campaign.counties[%d].open_conversation_id: needs dingtalk.enabled and dingtalk.robot_code", i)
		}
	}
	return nil
}

func (tc TelegramConfig) validate() error {
	switch tc.Mode {
	case "", "polling", "webhook":
	default:
		return errors.New(`config: telegram.mode: must be "polling" or "webhook"`)
	}
	if tc.APIURL != "" {
		if !httpURL(tc.APIURL) {
			return errors.New("config: telegram.api_url: not an http(s) URL such as https://api.telegram.org")
		}
		if tc.Token != "" && strings.Contains(tc.APIURL, tc.Token) {
			return errors.New("config: telegram.api_url: holds the bot token: give the server's address only, such as https://api.telegram.org")
		}
	}
	if tc.Mode != "webhook" {
		return nil
	}
	if tc.WebhookURL == "" {
		return errors.New(`config: telegram.webhook_url: empty (mode "webhook" needs the public HTTPS address Telegram posts to)`)
	}
	if !httpURL(tc.WebhookURL) {
		return errors.New("config: telegram.webhook_url: not an http(s) URL such as https://bot.example.org/tsbot")
	}
	host, port, err := net.SplitHostPort(tc.WebhookListen)
	if tc.WebhookListen == "" || err != nil || strings.ContainsAny(host, "/ ") {
		return errors.New(`config: telegram.webhook_listen: not an address like 127.0.0.1:8443 (mode "webhook" listens there)`)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return errors.New("config: telegram.webhook_listen: the port is not a number from 0 to 65535")
	}
	return nil
}

// ParseClock reads a time of day such as "09:00".
func ParseClock(s string) (hour, minute int, err error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, 0, fmt.Errorf("%q is not a time of day like 09:00", s)
	}
	return t.Hour(), t.Minute(), nil
}

// httpURL reports whether s is an absolute http or https URL with a host.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// Exposed lists the secrets of a config file that others than its owner may
// read, with the file's mode: telegram.token and dingtalk.client_secret when
// group or others may (they belong in TELEGRAM_BOT_TOKEN and
// DINGTALK_CLIENT_SECRET), telegram.webhook_secret and a county's
// robot_secret when others may (they have no variable of their own, so a
// file readable by the service's group is fine). cfg is what was read from
// that file, before the environment filled in a secret.
func (cfg Config) Exposed(path string) (keys []string, mode fs.FileMode, err error) {
	if path == "" {
		return nil, 0, nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, 0, fmt.Errorf("config: %w", err)
	}
	mode = fi.Mode().Perm()
	if cfg.Telegram.Token != "" && mode&0o077 != 0 {
		keys = append(keys, "telegram.token")
	}
	if cfg.Telegram.WebhookSecret != "" && mode&0o007 != 0 {
		keys = append(keys, "telegram.webhook_secret")
	}
	if cfg.DingTalk.ClientSecret != "" && mode&0o077 != 0 {
		keys = append(keys, "dingtalk.client_secret")
	}
	for i, c := range cfg.Campaign.Counties {
		if c.RobotSecret != "" && mode&0o007 != 0 {
			keys = append(keys, fmt.Sprintf("campaign.counties[%d].robot_secret", i))
		}
	}
	return keys, mode, nil
}

func (rc RemindersConfig) validate() error {
	if _, _, err := ParseClock(rc.Time); err != nil {
		return fmt.Errorf("config: reminders.time: %w", err)
	}
	for _, n := range rc.DaysBefore {
		if n < 0 {
			return fmt.Errorf("config: reminders.days_before: %d is negative; 0 is the deadline itself", n)
		}
	}
	if strings.TrimSpace(rc.WeeklyDigest) != "" {
		if _, err := cron.ParseStandard(rc.WeeklyDigest); err != nil {
			return fmt.Errorf("config: reminders.weekly_digest: %q is not a cron spec such as \"0 9 * * 1\" (Mondays 09:00): %w", rc.WeeklyDigest, err)
		}
	}
	return nil
}

func (bc BackupConfig) validate() error {
	if strings.TrimSpace(bc.Dir) == "" {
		return nil // no daily backup: the other keys do not matter
	}
	if _, _, err := ParseClock(bc.Time); err != nil {
		return fmt.Errorf("config: backup.time: %w", err)
	}
	if bc.Keep < 1 {
		return fmt.Errorf("config: backup.keep: %d; keep at least 1 copy", bc.Keep)
	}
	return nil
}

func (dc DatabaseConfig) validate() error {
	switch dc.Driver {
	case "", "sqlite":
		if dc.Path == "" {
			return errors.New("config: database.path: empty (driver \"sqlite\" needs a file, such as tsbot.db)")
		}
	case "postgres":
		if dc.DSN == "" {
			return errors.New("config: database.dsn: empty (driver \"postgres\" needs a connection string such as \"host=127.0.0.1 user=tsbot dbname=tsbot sslmode=disable\")")
		}
	default:
		return errors.New(`config: database.driver: must be "sqlite" or "postgres"`)
	}
	return nil
}

// validate checks that a named font is a file that can be read; whether it
// draws Chinese is for /chart to say (the font is read when first used).
func (cc ChartConfig) validate() error {
	if cc.Font == "" {
		return nil
	}
	st, err := os.Stat(cc.Font)
	if err != nil {
		return fmt.Errorf("config: chart.font: %w", err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("config: chart.font: %s is not a font file", cc.Font)
	}
	return nil
}
