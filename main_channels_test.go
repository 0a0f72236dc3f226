package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"tsbot/bot/dingtalktest"
	"tsbot/bot/telegramtest"
	"tsbot/data"
	"tsbot/data/testkit"
)

const (
	dtClientID = "dingtest0001"
	dtSecret   = "S3cr3t-DingTalk-abcdefghijklmnop"
	robotSec   = "SECrobot-shangyu-0123456789"
)

// writeTwoChannelConfig writes a config with both channels on: the admin
// 1001 on Telegram and DingTalk ("ling"); 诸暨's staff 3001 on Telegram only
// and "wang5" on DingTalk only; 柯桥 with a Telegram group (-100) and a
// DingTalk group (cidKeqiao); 上虞 with a custom robot only. The other
// counties have nobody.
func writeTwoChannelConfig(t *testing.T, dir, tgURL string, dt *dingtalktest.Server, year int) (cfgPath, dbPath string) {
	t.Helper()
	dbPath = filepath.Join(dir, "tsbot.db")
	var b strings.Builder
	fmt.Fprintf(&b, `[telegram]
api_url = %q

[dingtalk]
enabled = true
client_id = %q
robot_code = %q
api_url = %q
robot_webhook_url = %q

[database]
path = %q

[campaign]
cultivation_due = "%[7]d-08-31"
lists_due = "%[7]d-09-30"
acceptance_from = "%[7]d-10-08"
acceptance_to = "%[7]d-10-31"
official_holidays = false
`, tgURL, dtClientID, dtClientID, dt.URL, dt.URL+"/robot/send", dbPath, year)
	for _, co := range data.DefaultConfig().Campaign.Counties {
		fmt.Fprintf(&b, "\n[[campaign.counties]]\nname = %q\nfull_name = %q\nprovincial_station = %d\nzone = %d\ncity_station = %d\ntutoring = %d\n",
			co.Name, co.FullName, co.ProvincialStation, co.Zone, co.CityStation, co.Tutoring)
		switch co.Name {
		case "柯桥":
			b.WriteString("chat_id = -100\nopen_conversation_id = \"cidKeqiao\"\n")
		case "上虞":
			fmt.Fprintf(&b, "robot_webhook = %q\nrobot_secret = %q\n", dt.CustomRobot("tok-shangyu", robotSec), robotSec)
		}
	}
	b.WriteString(`
[[roster]]
user_id = 1001
dingtalk_id = "ling"
role = "admin"
name = "凌晓波"

[[roster]]
user_id = 3001
role = "county"
county = "诸暨"

[[roster]]
dingtalk_id = "wang5"
role = "county"
county = "诸暨"
name = "王五"
`)
	cfgPath = filepath.Join(dir, "tsbot.toml")
	if err := os.WriteFile(cfgPath, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, dbPath
}

func twoChannelEnv(k string) string {
	switch k {
	case "TELEGRAM_BOT_TOKEN":
		return telegramtest.Token
	case "DINGTALK_CLIENT_SECRET":
		return dtSecret
	}
	return ""
}

// runChannels opens the app as run does, runs both channels' adapters with
// their outboxes against the fakes, and makes one reminder pass at the
// instant at through run's notifier. stop ends it as a shutdown does.
func runChannels(t *testing.T, cfgPath, at string, logs *testkit.Buffer) (queued []string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := openApp(ctx, cfgPath, twoChannelEnv, logs, false)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := a.newTelegram()
	if err != nil {
		t.Fatal(err)
	}
	dt, err := a.newDingTalk()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}, 2)
	go func() { tg.Run(ctx); done <- struct{}{} }()
	go func() { dt.Run(ctx); done <- struct{}{} }()
	a.reminders.SetNotifier(reminderQueue(tg, dt))
	now, err := parseInstant(at, a.campaign.Location)
	if err != nil {
		t.Fatal(err)
	}
	outcomes, err := a.reminders.RunAt(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range outcomes {
		if o.Status == "queued" {
			queued = append(queued, o.Reminder.Key)
		}
	}
	return queued, func() {
		cancel()
		<-done
		<-done
		a.store.Close()
	}
}

// TestRemindersOnBothChannels: with Telegram and DingTalk on, one reminder
// pass reaches each person on the channel(s) they are registered on (the
// admin on both, once each), a county's Telegram and DingTalk groups, and a
// county's custom robot with a valid signature, each once; a restart on the
// same database sends nothing again.
func TestRemindersOnBothChannels(t *testing.T) {
	tgSrv := telegramtest.New(t)
	tgSrv.AddChat(telegramtest.PrivateChat(models.User{ID: 1001, FirstName: "凌晓波"}))
	tgSrv.AddChat(telegramtest.PrivateChat(models.User{ID: 3001, FirstName: "诸暨"}))
	tgSrv.AddChat(telegramtest.GroupChat(-100, "柯桥工作群"))
	dtSrv := dingtalktest.New(t, dtClientID, dtSecret)
	dir := t.TempDir()
	cfgPath, dbPath := writeTwoChannelConfig(t, dir, tgSrv.URL(), dtSrv, 2025)
	logs := &testkit.Buffer{}

	// 2025-09-30 is a Tuesday: d-7 is Friday 19 September.
	queued, stop := runChannels(t, cfgPath, "2025-09-19 09:00", logs)
	if len(queued) != 7 {
		t.Errorf("queued %d deliveries, want 7 (digest ×2, 柯桥 ×2, 上虞 ×1, 诸暨 ×2): %v", len(queued), queued)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if _, err := tgSrv.WaitCalls(ctx, "sendMessage", 3); err != nil {
		t.Fatalf("telegram: %v", err)
	}
	staff := dtSrv.WaitSent("/v1.0/robot/oToMessages/batchSend", 2, 15*time.Second)
	groups := dtSrv.WaitSent("/v1.0/robot/groupMessages/send", 1, 15*time.Second)
	robots := dtSrv.WaitSent("/robot/send", 1, 15*time.Second)
	time.Sleep(500 * time.Millisecond) // anything extra would come now
	stop()

	tgGot := map[string]int{}
	for _, c := range tgSrv.CallsTo("sendMessage") {
		if c.Status == 200 {
			tgGot[c.Params["chat_id"]+" "+strings.SplitN(c.Params["text"], "\n", 2)[0]]++
		}
	}
	for _, want := range []string{"1001 【截止提醒】绍兴市商业秘密保护示范单位培育", "-100 【柯桥】绍兴市商业秘密保护示范单位培育", "3001 【诸暨】绍兴市商业秘密保护示范单位培育"} {
		if tgGot[want] != 1 {
			t.Errorf("telegram %q: %d times, want once; got %v", want, tgGot[want], tgGot)
		}
	}
	if len(tgGot) != 3 {
		t.Errorf("telegram got %v, want 3 messages", tgGot)
	}
	dtGot := map[string]int{}
	for _, m := range staff {
		ids, _ := m.Body["userIds"].([]any)
		dtGot[fmt.Sprint(ids)+" "+strings.SplitN(m.Text(), "  \n", 2)[0]]++
	}
	for _, m := range groups {
		dtGot[fmt.Sprint(m.Body["openConversationId"])+" "+strings.SplitN(m.Text(), "  \n", 2)[0]]++
	}
	for _, want := range []string{"[ling] 【截止提醒】绍兴市商业秘密保护示范单位培育", "[wang5] 【诸暨】绍兴市商业秘密保护示范单位培育", "cidKeqiao 【柯桥】绍兴市商业秘密保护示范单位培育"} {
		if dtGot[want] != 1 {
			t.Errorf("dingtalk %q: %d times, want once; got %v", want, dtGot[want], dtGot)
		}
	}
	if len(staff) != 2 || len(groups) != 1 {
		t.Errorf("dingtalk: %d private and %d group messages, want 2 and 1", len(staff), len(groups))
	}
	if len(robots) != 1 || !strings.HasPrefix(robots[0].Text(), "【上虞】") {
		t.Fatalf("custom robot: %v", robots)
	}
	q, _ := url.ParseQuery(robots[0].Query)
	ts, _ := strconv.ParseInt(q.Get("timestamp"), 10, 64)
	if q.Get("access_token") != "tok-shangyu" || q.Get("sign") != dingtalktest.Sign(ts, robotSec) {
		t.Errorf("custom robot signature: %s", robots[0].Query)
	}

	status := map[string]int{}
	for _, r := range sentReminders(t, dbPath) {
		if strings.Contains(r.Key, ":d-7") {
			status[r.Status]++
		}
	}
	if status[data.ReminderSent] != 7 {
		t.Errorf("d-7 rows by status: %v, want 7 sent", status)
	}

	// A restart on the same database, the same day: every claim stands.
	tgCalls, dtCalls := len(tgSrv.CallsTo("sendMessage")), len(dtSrv.Sent(""))
	queued, stop = runChannels(t, cfgPath, "2025-09-19 09:30", logs)
	time.Sleep(1500 * time.Millisecond)
	stop()
	if len(queued) != 0 || len(tgSrv.CallsTo("sendMessage")) != tgCalls || len(dtSrv.Sent("")) != dtCalls {
		t.Errorf("after a restart: queued %v, %d more Telegram and %d more DingTalk sends",
			queued, len(tgSrv.CallsTo("sendMessage"))-tgCalls, len(dtSrv.Sent(""))-dtCalls)
	}
	for _, s := range []string{dtSecret, telegramtest.Token, robotSec} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("a secret is in the log")
		}
	}
}

// TestRemindCommandOnBothChannels: tsbot remind sends directly (no outbox)
// on both channels, records each chat once, and a second run sends nothing.
func TestRemindCommandOnBothChannels(t *testing.T) {
	tgSrv := telegramtest.New(t)
	tgSrv.AddChat(telegramtest.PrivateChat(models.User{ID: 1001, FirstName: "凌晓波"}))
	tgSrv.AddChat(telegramtest.PrivateChat(models.User{ID: 3001, FirstName: "诸暨"}))
	tgSrv.AddChat(telegramtest.GroupChat(-100, "柯桥工作群"))
	dtSrv := dingtalktest.New(t, dtClientID, dtSecret)
	cfgPath, _ := writeTwoChannelConfig(t, t.TempDir(), tgSrv.URL(), dtSrv, 2025)
	remind := func(at string) string {
		t.Helper()
		var stdout, stderr strings.Builder
		if err := run(context.Background(), []string{"remind", "-config", cfgPath, "--at", at}, twoChannelEnv, strings.NewReader(""), &stdout, &stderr); err != nil {
			t.Fatalf("remind --at %s: %v\n%s", at, err, stderr.String())
		}
		return stdout.String()
	}
	out := remind("2025-09-19 09:00")
	if n := strings.Count(out, "\tsent\n"); n != 7 {
		t.Errorf("%d sent, want 7:\n%s", n, out)
	}
	tgCalls, dtCalls := len(tgSrv.CallsTo("sendMessage")), len(dtSrv.Sent(""))
	if tgCalls != 3 || dtCalls != 4 {
		t.Errorf("%d Telegram and %d DingTalk sends, want 3 and 4", tgCalls, dtCalls)
	}
	out = remind("2025-09-19 09:30")
	if len(tgSrv.CallsTo("sendMessage")) != tgCalls || len(dtSrv.Sent("")) != dtCalls {
		t.Errorf("a second run sent again:\n%s", out)
	}
}

// TestCheckDingTalkSecret: check asks DingTalk for a token. A secret the
// fake refuses is an error naming dingtalk.client_secret; a file holding the
// secret that group or others may read is warned about by key; a good
// secret is accepted. No output shows the secret, in any encoding.
func TestCheckDingTalkSecret(t *testing.T) {
	srv := dingtalktest.New(t, dtClientID, dtSecret)
	dir := t.TempDir()
	const wrong = "Wr0ng-DingTalk-secret-zyxwvutsrq"
	for _, tc := range []struct {
		name      string
		inFile    string // client_secret in the file
		inEnv     string // DINGTALK_CLIENT_SECRET
		mode      os.FileMode
		wantErr   bool
		wantWarn  bool
		wantInOut string
	}{
		{name: "wrong secret in the environment", inEnv: wrong, mode: 0o600, wantErr: true},
		{name: "wrong secret in a group-readable file", inFile: wrong, mode: 0o640, wantErr: true, wantWarn: true},
		{name: "good secret in a world-readable file", inFile: dtSecret, mode: 0o644, wantWarn: true, wantInOut: "凭据有效"},
		{name: "good secret in the environment", inEnv: dtSecret, mode: 0o644, wantInOut: "凭据有效"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".toml")
			text := fmt.Sprintf("[dingtalk]\nenabled = true\nclient_id = %q\napi_url = %q\n", dtClientID, srv.URL)
			if tc.inFile != "" {
				text += fmt.Sprintf("client_secret = %q\n", tc.inFile)
			}
			text += fmt.Sprintf("\n[database]\npath = %q\n", filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".db"))
			if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(cfg, tc.mode); err != nil {
				t.Fatal(err)
			}
			getenv := func(k string) string {
				if k == "DINGTALK_CLIENT_SECRET" {
					return tc.inEnv
				}
				return ""
			}
			var stdout, stderr strings.Builder
			err := run(context.Background(), []string{"check", "-config", cfg}, getenv, strings.NewReader(""), &stdout, &stderr)
			out := stdout.String() + stderr.String()
			if err != nil {
				out += err.Error()
			}
			if (err != nil) != tc.wantErr || (err != nil && !strings.Contains(err.Error(), "dingtalk.client_secret")) {
				t.Errorf("err = %v, want an error naming dingtalk.client_secret: %v", err, tc.wantErr)
			}
			if warned := strings.Contains(stdout.String(), "dingtalk.client_secret，且同组或其他用户可读"); warned != tc.wantWarn {
				t.Errorf("warned = %v, want %v:\n%s", warned, tc.wantWarn, stdout.String())
			}
			if !strings.Contains(out, tc.wantInOut) {
				t.Errorf("output lacks %q:\n%s", tc.wantInOut, out)
			}
			for _, sec := range []string{wrong, dtSecret} {
				for _, enc := range []string{sec, url.QueryEscape(sec), base64.StdEncoding.EncodeToString([]byte(sec)),
					base64.URLEncoding.EncodeToString([]byte(sec)), base64.RawStdEncoding.EncodeToString([]byte(sec)),
					hex.EncodeToString([]byte(sec)), sec[:12]} {
					if strings.Contains(out, enc) {
						t.Errorf("the output shows the secret (%q):\n%s", enc, out)
					}
				}
			}
		})
	}
}
