package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"

	"tsbot/bot/telegramtest"
	"tsbot/data"
)

// writeRemindConfig writes a config with a contact admin (1001), 柯桥's work
// group (-100) and one 上虞 staff member (3001); the other counties have
// nobody. year moves the campaign's dates.
func writeRemindConfig(t *testing.T, dir, apiURL string, year int) (cfgPath, dbPath string) {
	t.Helper()
	dbPath = filepath.Join(dir, "tsbot.db")
	cfg := fmt.Sprintf(`[telegram]
api_url = %q

[database]
path = %q

[campaign]
cultivation_due = "%[3]d-08-31"
lists_due = "%[3]d-09-30"
acceptance_from = "%[3]d-10-08"
acceptance_to = "%[3]d-10-31"
holidays = ["%[3]d-10-01", "%[3]d-10-02", "%[3]d-10-03", "%[3]d-10-04", "%[3]d-10-05", "%[3]d-10-06", "%[3]d-10-07"]
`, apiURL, dbPath, year)
	for _, co := range data.DefaultConfig().Campaign.Counties {
		chat := 0
		if co.Name == "柯桥" {
			chat = -100
		}
		cfg += fmt.Sprintf("\n[[campaign.counties]]\nname = %q\nfull_name = %q\nprovincial_station = %d\nzone = %d\ncity_station = %d\ntutoring = %d\nchat_id = %d\n",
			co.Name, co.FullName, co.ProvincialStation, co.Zone, co.CityStation, co.Tutoring, chat)
	}
	cfg += "\n[[roster]]\nuser_id = 1001\nrole = \"admin\"\nname = \"凌晓波\"\n\n[[roster]]\nuser_id = 3001\nrole = \"county\"\ncounty = \"上虞\"\n"
	cfgPath = filepath.Join(dir, "tsbot.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, dbPath
}

func sentReminders(t *testing.T, dbPath string) []data.SentReminder {
	t.Helper()
	s, err := data.Open(data.DatabaseConfig{Path: dbPath}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.SentReminders(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestRemindDryRun(t *testing.T) {
	dir := t.TempDir()
	cfgPath, dbPath := writeRemindConfig(t, dir, "http://127.0.0.1:1", 2027)
	var stdout, stderr bytes.Buffer
	env := func(string) string { return "" } // no token: a dry run needs none
	err := run(context.Background(), []string{"remind", "-config", cfgPath, "--at", "2027-09-21 09:00", "--dry-run"}, env, strings.NewReader(""), &stdout, &stderr)
	if err != nil {
		t.Fatalf("remind: %v\n%s", err, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"2027-09-21 09:00 CST 到期的提醒（试运行：不发送，不记录）",
		"== weekly_digest:2027-09-20 → chat 1001 (reminders.contact_chat_id (0: every admin on the roster))\n跳过：missed: its day passed while the bot was down\n",
		"== contact_digest:2027-09-30:d-7 → chat 1001 (reminders.contact_chat_id (0: every admin on the roster))\n" +
			"【截止提醒】绍兴市商业秘密保护示范单位培育\n" +
			"今天9月21日（周二），距9月30日（周四）名单报送截止还有9天（7个工作日）。\n",
		"越城 0/1｜—｜0/7｜0/20\n　缺 示范区1个 市县级站7个 辅导20家\n",
		"== county_nag:2027-09-30:d-7:柯桥 → chat -100 (campaign.counties[1].chat_id)\n" +
			"【柯桥】绍兴市商业秘密保护示范单位培育\n" +
			"今天9月21日（周二），距9月30日（周四）名单报送截止还有9天（7个工作日）。尚缺：\n" +
			"· 省级示范站 1个（0/1）\n· 市县级示范站 7个（0/7）\n· 企业专项辅导 20家（0/20，含培育单位）\n",
		"== county_nag:2027-09-30:d-7:上虞 → chat 3001 (campaign.counties[2].chat_id (0: the county's staff on the roster))\n【上虞】",
		"== county_nag:2027-09-30:d-7:越城 → chat 0 (campaign.counties[0].chat_id (0: the county's staff on the roster))\n跳过：no recipient\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks\n%s\n--- got\n%s", want, out)
		}
	}
	if rows := sentReminders(t, dbPath); len(rows) != 0 {
		t.Errorf("a dry run recorded %d rows", len(rows))
	}
	// Sending needs the token, and says so.
	err = run(context.Background(), []string{"remind", "-config", cfgPath, "--at", "2025-09-21T09:00:00+08:00"}, env, strings.NewReader(""), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "TELEGRAM_BOT_TOKEN") {
		t.Errorf("send without a token: %v", err)
	}
	// A malformed reminders.time stops every subcommand, naming the key.
	bad := filepath.Join(dir, "bad.toml")
	raw, _ := os.ReadFile(cfgPath)
	if err := os.WriteFile(bad, append(raw, "\n[reminders]\ntime = \"9点\"\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), []string{"remind", "-config", bad, "--at", "2027-09-21 09:00", "--dry-run"}, env, strings.NewReader(""), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "reminders.time") {
		t.Errorf("bad reminders.time: %v", err)
	}
}

// TestRemindSendThroughBotAPI sends through the real Telegram sender to the
// fake Bot API: a 429 and a 500 are retried by the sender and the digest
// arrives once; a chat Telegram does not know (400) is recorded as failed;
// a blocked user (403) as skipped. Nothing is sent twice.
func TestRemindSendThroughBotAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out a 429")
	}
	srv := telegramtest.New(t)
	srv.AddChat(telegramtest.PrivateChat(models.User{ID: 1001, FirstName: "凌晓波"}))
	srv.AddChat(telegramtest.GroupChat(-100, "柯桥工作群"))
	// 3001 (上虞) never talked to the bot: "chat not found".
	dir := t.TempDir()
	cfgPath, dbPath := writeRemindConfig(t, dir, srv.URL(), 2025) // dates in the past: sending refuses the future
	env := func(k string) string {
		if k == "TELEGRAM_BOT_TOKEN" {
			return telegramtest.Token
		}
		return ""
	}
	remind := func(at string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), []string{"remind", "-config", cfgPath, "--at", at}, env, strings.NewReader(""), &stdout, &stderr); err != nil {
			t.Fatalf("remind --at %s: %v\n%s", at, err, stderr.String())
		}
		return stdout.String()
	}

	// 2025-09-30 is a Tuesday: d-7 is Friday 19 September.
	srv.FailNext("sendMessage", telegramtest.TooManyRequests(1))
	srv.FailNext("sendMessage", telegramtest.InternalError())
	out := remind("2025-09-19 09:00")
	for _, want := range []string{
		"contact_digest:2025-09-30:d-7\t1001\tsent\n",
		"county_nag:2025-09-30:d-7:柯桥\t-100\tsent\n",
		"county_nag:2025-09-30:d-7:上虞\t3001\tfailed\ttelegram: sendMessage: bad request, Bad Request: chat not found\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q\n--- got\n%s", want, out)
		}
	}
	digests := 0
	for _, c := range srv.CallsTo("sendMessage") {
		if c.Status == 200 && strings.HasPrefix(c.Params["text"], "【截止提醒】") {
			digests++
		}
	}
	if digests != 1 {
		t.Errorf("the digest arrived %d times, want once", digests)
	}

	// Again at 09:30: all recorded, nothing sent.
	calls := len(srv.CallsTo("sendMessage"))
	out = remind("2025-09-19 09:30")
	if n := len(srv.CallsTo("sendMessage")); n != calls {
		t.Errorf("a second run made %d more calls:\n%s", n-calls, out)
	}

	// d-3 is Thursday 25 September; the contact has blocked the bot.
	srv.FailNext("sendMessage", telegramtest.Blocked())
	out = remind("2025-09-25 09:00")
	if !strings.Contains(out, "contact_digest:2025-09-30:d-3\t1001\tskipped\tjobs: chat refuses the bot: telegram: sendMessage: forbidden") {
		t.Errorf("403 not recorded as skipped:\n%s", out)
	}
	status := map[string]string{}
	for _, r := range sentReminders(t, dbPath) {
		status[fmt.Sprintf("%s@%d", r.Key, r.ChatID)] = r.Status
	}
	for k, want := range map[string]string{
		"contact_digest:2025-09-30:d-7@1001":  data.ReminderSent,
		"county_nag:2025-09-30:d-7:上虞@3001":   data.ReminderFailed,
		"contact_digest:2025-09-30:d-3@1001":  data.ReminderSkipped,
		"county_nag:2025-09-30:d-3:柯桥@-100":   data.ReminderSent,
		"county_nag:2025-09-30:d-7:越城@0":      data.ReminderSkipped,
		"contact_digest:2025-09-30:d-14@1001": data.ReminderSkipped, // missed: before the first run
	} {
		if status[k] != want {
			t.Errorf("%s: %q, want %q", k, status[k], want)
		}
	}
}
