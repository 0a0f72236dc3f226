package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/xuri/excelize/v2"
	"golang.org/x/image/font/gofont/goregular"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"tsbot/bot"
	"tsbot/bot/channels"
	"tsbot/bot/dingtalktest"
	"tsbot/bot/telegramtest"
	"tsbot/data"
	"tsbot/data/bigledger"
	"tsbot/data/chart"
	"tsbot/data/pgtest"
	"tsbot/data/testkit"
	"tsbot/jobs"
)

// writeRemindConfig writes a config with a contact admin (1001), 柯桥's work
// group (-100) and one 上虞 staff member (3001); the other counties have
// nobody. year moves the campaign's dates; the calendar is typed here (no
// State Council schedule) so the dates below hold for any year.
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
official_holidays = false
extra_holidays = ["%[3]d-10-01", "%[3]d-10-02", "%[3]d-10-03", "%[3]d-10-04", "%[3]d-10-05", "%[3]d-10-06", "%[3]d-10-07"]
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
		"== contact_digest:2027-09-30:d-7 → chat 1001 (reminders.contact_chat_id (0: every admin on the roster))\n" +
			"【截止提醒】绍兴市商业秘密保护示范单位培育\n" +
			"今天9月21日（周二），距9月30日（周四）名单报送截止还有9天（7个工作日）。\n",
		"越城 0/1｜—｜0/7｜0/20\n　缺 示范区1个 市县级站7个 辅导20家\n",
		"== county_nag:2027-09-30:d-7:柯桥 → chat -100 (campaign.counties[1].chat_id)\n" +
			"【柯桥】绍兴市商业秘密保护示范单位培育\n" +
			"今天9月21日（周二），距9月30日（周四）名单报送截止还有9天（7个工作日）。尚缺：\n" +
			"· 省级示范站 1个（0/1）\n· 市县级示范站 7个（0/7）\n· 企业专项辅导 20家（0/20，含培育单位）\n",
		"== county_nag:2027-09-30:d-7:上虞 → chat 3001 (campaign.counties[2].chat_id (0: the county's staff on the roster))\n【上虞】",
		// What is not sent is one line at the end, in Chinese.
		"条不发送（停机期间到期、已错过 ",
		"，没有收件人 ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks\n%s\n--- got\n%s", want, out)
		}
	}
	if strings.Contains(out, "跳过") || strings.Contains(out, "missed") || strings.Contains(out, "weekly_digest:2027-09-20") {
		t.Errorf("dry run lists skipped reminders one by one:\n%s", out)
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
	if !strings.Contains(out, "contact_digest:2025-09-30:d-3\t1001\tskipped\tchat refuses the bot: telegram: sendMessage: forbidden") {
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

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	db := func(name string) string { return fmt.Sprintf("[database]\npath = %q\n", filepath.Join(dir, name)) }
	backups := fmt.Sprintf("[backup]\ndir = %q\n", filepath.Join(dir, "backups"))
	for _, tc := range []struct {
		name   string
		config string
		want   string // in stdout, or in the error
		fail   bool
	}{
		{"good", db("tsbot.db") + backups, "检查通过", false},
		{"the calendar it counts with", db("cal.db"), "；调休上班 ", false},
		{"a year beyond the holiday data", db("y.db") + "[campaign]\ncultivation_due = \"2099-08-31\"\nlists_due = \"2099-09-30\"\nacceptance_from = \"2099-10-08\"\nacceptance_to = \"2099-10-31\"\n", "还没有2099年的国务院放假安排", false},
		{"the old key names", db("old.db") + "[campaign]\nholidays = [\"2027-09-24\"]\n", "campaign.holidays、workdays 已改名为 extra_holidays、extra_workdays", false},
		{"a holiday of another year", "[campaign]\nextra_holidays = [\"2026-10-01\"]\n", "config: campaign.extra_holidays: 2026-10-01", true},
		{"bad date", "[campaign]\nlists_due = \"2027-09-31\"\n", "campaign.lists_due", true},
		{"bad backup time", db("b.db") + backups + "time = \"2:30pm\"\n", "backup.time", true},
		{"bad weekly digest", db("w.db") + "[reminders]\nweekly_digest = \"every monday\"\n", "config: reminders.weekly_digest", true},
		{"unknown driver", "[database]\ndriver = \"mysql\"\n", "database.driver", true},
		{"postgres without dsn", "[database]\ndriver = \"postgres\"\n", "database.dsn", true},
		// Nothing listens on port 1: PostgreSQL is down at start-up.
		{"postgres down", "[database]\ndriver = \"postgres\"\ndsn = \"host=127.0.0.1 port=1 user=tsbot dbname=tsbot sslmode=disable connect_timeout=5\"\n", "database.dsn: PostgreSQL does not answer", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".toml")
			if err := os.WriteFile(cfg, []byte(tc.config), 0o600); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			getenv := func(string) string { return "" }
			err := run(context.Background(), []string{"check", "-config", cfg}, getenv, strings.NewReader(""), &stdout, &stderr)
			if tc.fail {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("err = %v, want one naming %q\n%s", err, tc.want, stdout.String())
				}
				// Config errors come first: no plan is printed for a
				// config that will not start.
				if strings.HasPrefix(tc.want, "config: ") && stdout.Len() > 0 {
					t.Errorf("check printed before the config error:\n%s", stdout.String())
				}
				return
			}
			if err != nil || !strings.Contains(stdout.String(), tc.want) {
				t.Errorf("err = %v\n%s", err, stdout.String())
			}
		})
	}
}

// buildBot builds the real binary into dir.
func buildBot(t testing.TB, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "tsbot")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// crashUsers are 30 staff, five per county: replies go out within
// Telegram's rate of about one message a second in a chat, so the load is
// spread over many chats, as on a deadline morning.
var crashUsers = func() []struct {
	id     int64
	county string
} {
	counties := []string{"越城", "柯桥", "上虞", "诸暨", "新昌", "嵊州"}
	out := make([]struct {
		id     int64
		county string
	}, 30)
	for i := range out {
		out[i].id, out[i].county = int64(3001+i), counties[i%len(counties)]
	}
	return out
}()

// writeBotConfig writes a config pointing the bot at the fake server, with a
// SQLite file in dir and the crash test's users on the roster.
func writeBotConfig(t testing.TB, dir, apiURL string) (cfgPath, dbPath string) {
	t.Helper()
	dbPath = filepath.Join(dir, "tsbot.db")
	var b strings.Builder
	fmt.Fprintf(&b, "[telegram]\napi_url = %q\n\n[database]\npath = %q\n\n[reminders]\nenabled = false\n", apiURL, dbPath)
	for _, u := range crashUsers {
		fmt.Fprintf(&b, "\n[[roster]]\nuser_id = %d\nrole = \"county\"\ncounty = %q\n", u.id, u.county)
	}
	cfgPath = filepath.Join(dir, "tsbot.toml")
	if err := os.WriteFile(cfgPath, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, dbPath
}

func startBot(t testing.TB, bin, cfgPath string, stderr *testkit.Buffer) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "run", "-config", cfgPath)
	cmd.Env = append(os.Environ(), "TELEGRAM_BOT_TOKEN="+telegramtest.Token, "TSBOT_CONFIG=")
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

func kill9(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
}

// TestCrashExactlyOnce streams updates to the real binary and kills it with
// SIGKILL at random moments: in the end every update is recorded exactly
// once.
func TestCrashExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := buildBot(t, dir)
	srv := telegramtest.NewServer()
	defer srv.Close()
	cfgPath, dbPath := writeBotConfig(t, dir, srv.URL())

	const total = 600
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	want := map[string]int{}
	var ids, unrecorded []int64 // updates that record, and those that must not
	var idsMu sync.Mutex
	injected := make(chan struct{})
	pick := rand.New(rand.NewPCG(2, uint64(time.Now().UnixNano()))) // the injector's own
	go func() {
		defer close(injected)
		for i := range total {
			u := crashUsers[i%len(crashUsers)]
			n := i%5 + 1
			from := models.User{ID: u.id, FirstName: "U" + strconv.Itoa(int(u.id))}
			chat := telegramtest.PrivateChat(from)
			var id int64
			switch {
			case i%9 == 4: // refused: below zero
				id, _ = srv.SendText(from, chat, "辅导企业 -1000")
			case i%11 == 6: // a question, never answered here
				id, _ = srv.SendText(from, chat, fmt.Sprintf("辅导企业 %d", n))
			case i%13 == 8: // a colleague's report, forwarded
				id, _ = srv.ForwardText(from, chat, models.MessageOrigin{Type: models.MessageOriginTypeHiddenUser,
					MessageOriginHiddenUser: &models.MessageOriginHiddenUser{Type: models.MessageOriginTypeHiddenUser, SenderUserName: "同事"}},
					fmt.Sprintf("%s 辅导企业 +%d", u.county, n))
			case i%17 == 10: // an update the models cannot decode
				id = srv.SendRawUpdate(fmt.Sprintf(`{"message":{"message_id":%d,"date":"yesterday","chat":{"id":%d,"type":"private"},"from":{"id":%d,"first_name":"U"},"text":"%s 辅导企业 +%d"}}`,
					900000+i, u.id, u.id, u.county, n))
			}
			if id != 0 {
				idsMu.Lock()
				unrecorded = append(unrecorded, id)
				idsMu.Unlock()
				continue
			}
			text := fmt.Sprintf("辅导企业 +%d", n)
			if i%7 == 0 {
				text = fmt.Sprintf("%s 辅导企业 加%d家", u.county, n)
			}
			id, _ = srv.SendText(from, chat, text)
			idsMu.Lock()
			ids = append(ids, id)
			want[u.county] += n
			again := ids[max(0, len(ids)-1-pick.IntN(20))]
			idsMu.Unlock()
			if i%25 == 24 {
				// Delivered again, acknowledged or not: a webhook retry,
				// a second instance.
				srv.Redeliver(again)
			}
			if i%20 == 19 {
				time.Sleep(time.Duration(i%60) * time.Millisecond)
			}
		}
	}()

	stderr := &testkit.Buffer{}
	kills := 0
	deadline := time.Now().Add(40 * time.Second)
	for {
		cmd := startBot(t, bin, cfgPath, stderr)
		select {
		case <-injected:
			injected = nil // a nil channel: from here the loop kills until the kill quota is met
		default:
		}
		if injected == nil && kills >= 8 {
			// Let the last run finish the queue, and send the replies
			// the killed ones left in the outbox (their leases run out).
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			err := srv.WaitPending(ctx, 0)
			if err == nil {
				err = srv.Wait(ctx, func() bool { return recordedRepliesComplete(dbPath, srv) == nil })
			}
			cancel()
			kill9(cmd)
			if err != nil {
				lines := strings.Split(stderr.String(), "\n")
				for _, l := range lines[max(0, len(lines)-30):] {
					t.Log(l)
				}
				if db, derr := sql.Open("sqlite3", "file:"+dbPath+"?mode=ro"); derr == nil {
					rows, _ := db.Query("SELECT id, state, attempts, error, receipt FROM outbox WHERE state <> 'sent' LIMIT 20")
					for rows != nil && rows.Next() {
						var id, att int
						var st, e, rc string
						rows.Scan(&id, &st, &att, &e, &rc)
						t.Logf("outbox %d %s attempts=%d %s %s", id, st, att, e, rc)
					}
					db.Close()
				}
				t.Fatalf("updates left unconfirmed: %d; replies: %v", srv.Pending(), recordedRepliesComplete(dbPath, srv))
			}
			break
		}
		time.Sleep(time.Duration(150+rng.IntN(600)) * time.Millisecond)
		kill9(cmd)
		kills++
		if time.Now().After(deadline) {
			t.Fatal("crash loop took too long")
		}
	}
	t.Logf("%d updates, %d kills, offset %d", len(ids), kills, srv.Offset())

	store, err := data.Open(data.DatabaseConfig{Driver: "sqlite", Path: dbPath}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	tot, err := store.Totals(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range crashUsers {
		if got := tot[u.county][data.Tutoring]; got != want[u.county] {
			t.Errorf("%s tutoring = %d, want %d", u.county, got, want[u.county])
		}
	}

	db, err := gorm.Open(sqlite.Open(dbPath), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if sqlDB, err := db.DB(); err == nil {
		defer sqlDB.Close()
	}
	var rows []struct {
		UpdateID int64
		N        int
	}
	if err := db.Raw("SELECT update_id, COUNT(*) AS n FROM batches WHERE update_id IS NOT NULL GROUP BY update_id").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	batches := map[int64]int{}
	for _, r := range rows {
		batches[r.UpdateID] = r.N
	}
	for _, id := range ids {
		if batches[id] != 1 {
			t.Errorf("update %d has %d batches, want 1", id, batches[id])
		}
	}
	if len(batches) != len(ids) {
		t.Errorf("%d batches with an update id, want %d", len(batches), len(ids))
	}
	for _, id := range unrecorded {
		if batches[id] != 0 {
			t.Errorf("update %d (refused, a question, forwarded or unreadable) has %d batches, want 0", id, batches[id])
		}
	}
	var twice int64
	if err := db.Raw("SELECT COUNT(*) FROM (SELECT chat_id, message_id FROM choices GROUP BY chat_id, message_id HAVING COUNT(*) > 1) AS t").Scan(&twice).Error; err != nil {
		t.Fatal(err)
	}
	if twice != 0 {
		t.Errorf("%d messages were asked about twice", twice)
	}
	if err := recordedRepliesComplete(dbPath, srv); err != nil {
		t.Error(err)
	}
	if strings.Contains(stderr.String(), telegramtest.Token) {
		t.Error("the token appears in the bot's log")
	}
}

// recordedRepliesComplete checks that every recorded update got its "✅ 已记录"
// reply at least once, and that no such reply went out for anything else:
// each county's running total after each of its batches, read from the
// ledger, is the set of totals its chat was told.
func recordedRepliesComplete(dbPath string, srv *telegramtest.Server) error {
	db, err := sql.Open("sqlite3", "file:"+dbPath+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.Query("SELECT county, delta FROM entries ORDER BY id")
	if err != nil {
		return err
	}
	defer rows.Close()
	want := map[string]map[int]bool{}
	sum := map[string]int{}
	for rows.Next() {
		var county string
		var delta int
		if err := rows.Scan(&county, &delta); err != nil {
			return err
		}
		sum[county] += delta
		if want[county] == nil {
			want[county] = map[int]bool{}
		}
		want[county][sum[county]] = true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	told := map[string]map[int]bool{}
	shown := regexp.MustCompile(`辅导企业 (\d+)/`)
	for _, c := range srv.CallsTo("sendMessage") {
		text := strings.TrimPrefix(c.Params["text"], "（补发）")
		if c.Status != http.StatusOK || !strings.HasPrefix(text, "✅ 已记录") {
			continue
		}
		m := shown.FindStringSubmatch(text)
		for _, u := range crashUsers {
			if m != nil && c.Params["chat_id"] == strconv.FormatInt(u.id, 10) {
				n, _ := strconv.Atoi(m[1])
				if told[u.county] == nil {
					told[u.county] = map[int]bool{}
				}
				told[u.county][n] = true
			}
		}
	}
	for _, u := range crashUsers {
		for n := range want[u.county] {
			if !told[u.county][n] {
				return fmt.Errorf("%s: no reply told the total %d", u.county, n)
			}
		}
		for n := range told[u.county] {
			if !want[u.county][n] {
				return fmt.Errorf("%s: a reply told %d, a total the ledger never had", u.county, n)
			}
		}
	}
	return nil
}

// idleBot starts the built binary against the fake Bot API, has it answer
// one update, and leaves it idle in its long poll.
func idleBot(tb testing.TB) (*exec.Cmd, *testkit.Buffer) {
	return idleBotOn(tb, false)
}

// idleBotOn starts the real binary against the fake Bot API, and with
// withDingTalk the fake DingTalk too (both channels in one process), and
// returns once it has answered an update on each.
func idleBotOn(tb testing.TB, withDingTalk bool) (*exec.Cmd, *testkit.Buffer) {
	dir := tb.TempDir()
	bin := buildBot(tb, dir)
	srv := telegramtest.New(tb)
	cfgPath, _ := writeBotConfig(tb, dir, srv.URL())
	var dt *dingtalktest.Server
	if withDingTalk {
		dt = dingtalktest.New(tb, dtClientID, dtSecret)
		f, err := os.OpenFile(cfgPath, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			tb.Fatal(err)
		}
		// Appended after [[roster]]: a table header ends the array.
		fmt.Fprintf(f, "\n[dingtalk]\nenabled = true\nclient_id = %q\napi_url = %q\n", dtClientID, dt.URL)
		f.Close()
	}
	stderr := &testkit.Buffer{}
	cmd := exec.Command(bin, "run", "-config", cfgPath)
	cmd.Env = append(os.Environ(), "TELEGRAM_BOT_TOKEN="+telegramtest.Token, "DINGTALK_CLIENT_SECRET="+dtSecret, "TSBOT_CONFIG=")
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	from := models.User{ID: crashUsers[0].id, FirstName: "U"}
	srv.SendText(from, telegramtest.PrivateChat(from), "辅导企业 +1")
	if _, err := srv.WaitCalls(ctx, "sendMessage", 1); err != nil {
		kill9(cmd)
		tb.Fatalf("%v\n%s", err, stderr.String())
	}
	if dt != nil {
		if !dt.WaitConnected(1, 20*time.Second) {
			kill9(cmd)
			tb.Fatalf("DingTalk not connected\n%s", stderr.String())
		}
		id := dt.Send(dingtalktest.Msg{Staff: "stranger1", Text: "你好"})
		if !dt.WaitAck(id, 20*time.Second) || len(dt.WaitSent("/session/", 1, 20*time.Second)) < 1 {
			kill9(cmd)
			tb.Fatalf("DingTalk: no reply\n%s", stderr.String())
		}
	}
	return cmd, stderr
}

// A graceful stop, as systemd does it: SIGTERM, a clean exit, no token in the log.
func TestGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	cmd, stderr := idleBot(t)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		kill9(cmd)
		t.Error("no exit within 15s of SIGTERM")
	}
	if strings.Contains(stderr.String(), telegramtest.Token) {
		t.Error("the token appears in the bot's log")
	}
}

// -h prints the usage and is no error (exit status 0).
func TestHelpFlag(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"console", "-h"}} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr)
		if err != nil || !strings.Contains(stderr.String(), "用法") {
			t.Errorf("%v: err = %v, stderr = %q", args, err, stderr.String())
		}
	}
}

// The console's own admin, made when the roster has none, is gone from the
// roster when the console ends: /users and the admins' digest never see it.
func TestConsoleLeavesNoAdminBehind(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "tsbot.db")
	cfgPath := filepath.Join(dir, "tsbot.toml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf("[database]\npath = %q\n", dbPath)), 0o600); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second run finds no leftover to speak as
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), []string{"console", "-config", cfgPath}, func(string) string { return "" },
			strings.NewReader("柯桥 辅导企业 +3\n/whoami\n"), &stdout, &stderr)
		if err != nil || !strings.Contains(stdout.String(), "✅ 已记录") || !strings.Contains(stdout.String(), "市局管理员") {
			t.Fatalf("console: %v\n%s%s", err, stdout.String(), stderr.String())
		}
	}
	store, err := data.Open(data.DatabaseConfig{Path: dbPath}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	people, err := store.People(context.Background())
	if err != nil || len(people) != 0 {
		t.Errorf("roster after the console = %+v, %v; want empty", people, err)
	}
	tot, err := store.Totals(context.Background())
	if err != nil || tot["柯桥"][data.Tutoring] != 6 {
		t.Errorf("totals = %v, %v; want 柯桥 辅导 6", tot, err)
	}
}

// twinSecret is the webhook secret both instances share, as they would
// behind one load balancer.
const twinSecret = "two-instances_secret-6"

// twinPath is the path of telegram.webhook_url, which each instance serves
// on its own webhook_listen.
const twinPath = "/tsbot/webhook"

// twinAdmin is the contact person: the admin who gets the digest.
const twinAdmin int64 = 1001

// staffMember is a county's staff member on the roster.
type staffMember struct {
	id     int64
	county string
}

// twinStaff is four staff members per county, ids 3001 on: 24 private
// chats, so the replies to 250 updates go out at one a second per chat
// in a few seconds.
func twinStaff() []staffMember {
	var out []staffMember
	counties := data.DefaultConfig().Campaign.Counties
	for i := range 4 * len(counties) {
		out = append(out, staffMember{id: int64(3001 + i), county: counties[i%len(counties)].Name})
	}
	return out
}

// noonZone is a fixed zone in which it is around noon now: a campaign there
// has a 09:00 reminder that is due today and a midnight hours away, so the
// test never straddles a change of date however late in the day it runs.
func noonZone(now time.Time) string {
	off := 12 - now.UTC().Hour() // -11 … +12, all of them Etc/GMT zones
	switch {
	case off > 0:
		return fmt.Sprintf("Etc/GMT-%d", off) // POSIX sign: GMT-8 is UTC+8
	case off < 0:
		return fmt.Sprintf("Etc/GMT+%d", -off)
	}
	return "Etc/GMT"
}

// writeTwinConfig writes the config of one of two instances on one
// PostgreSQL schema: webhook mode on its own listen address, the shared
// secret, the roster of the admin and twinStaff, and a campaign whose
// lists are due three working days from today, so that the d-3 reminders
// fall due at 09:00 today and go out when the bot starts.
func writeTwinConfig(t testing.TB, dir, name, apiURL, dsn, listen, zone string, today time.Time) string {
	t.Helper()
	due := today.AddDate(0, 0, 3).Format("2006-01-02")
	var b strings.Builder
	fmt.Fprintf(&b, `[telegram]
api_url = %q
mode = "webhook"
webhook_listen = %q
webhook_url = "https://127.0.0.1%s"
webhook_secret = %q

[database]
driver = "postgres"
dsn = %q

[campaign]
timezone = %q
cultivation_due = %q
lists_due = %q
acceptance_from = %q
weekend = []
official_holidays = false
extra_holidays = []
extra_workdays = []

[reminders]
enabled = true
time = "09:00"
days_before = [3]
weekly_digest = ""
acceptance = false

[[roster]]
user_id = %d
role = "admin"
name = "凌晓波"
`, apiURL, listen, twinPath, twinSecret, dsn, zone, due, due, today.AddDate(0, 0, 10).Format("2006-01-02"), twinAdmin)
	for _, u := range twinStaff() {
		fmt.Fprintf(&b, "\n[[roster]]\nuser_id = %d\nrole = \"county\"\ncounty = %q\n", u.id, u.county)
	}
	cfgPath := filepath.Join(dir, name+".toml")
	if err := os.WriteFile(cfgPath, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath
}

// freeAddrs returns n distinct loopback addresses that nothing listened on
// a moment ago: all are held open together, so none is handed out twice.
func freeAddrs(t testing.TB, n int) []string {
	t.Helper()
	var addrs []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs
}

// instance is one bot process in webhook mode.
type instance struct {
	name   string
	cmd    *exec.Cmd
	stderr *testkit.Buffer
	url    string // its webhook endpoint
	exited chan error
}

func startInstance(t testing.TB, bin, name, cfgPath, listen string) *instance {
	t.Helper()
	in := &instance{name: name, stderr: &testkit.Buffer{}, url: "http://" + listen + twinPath, exited: make(chan error, 1)}
	in.cmd = startBot(t, bin, cfgPath, in.stderr)
	go func() { in.exited <- in.cmd.Wait() }()
	t.Cleanup(func() {
		_ = in.cmd.Process.Signal(syscall.SIGKILL)
		<-in.exited
	})
	return in
}

// waitServing waits until the instance's webhook answers (405 to a GET).
func (in *instance) waitServing(t testing.TB, client *http.Client) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-in.exited:
			in.exited <- err
			t.Fatalf("%s exited at start: %v\n%s", in.name, err, in.stderr.String())
		default:
		}
		if resp, err := client.Get(in.url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusMethodNotAllowed {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: webhook not serving after 20s\n%s", in.name, in.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits for a clean exit: the batch under way is
// finished, queued replies go out, and the reminder pass under way ends.
func (in *instance) stop(t testing.TB) {
	t.Helper()
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-in.exited:
		in.exited <- err
		if err != nil {
			t.Errorf("%s: exit after SIGTERM: %v\n%s", in.name, err, in.stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Errorf("%s: no exit within 20s of SIGTERM\n%s", in.name, in.stderr.String())
	}
}

// post delivers one update as Telegram would and returns the status.
func postUpdate(client *http.Client, url string, body []byte) (int, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", twinSecret)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// TestTwoProcessesOnePostgres is issue 6 with real processes: two bots in
// webhook mode share one PostgreSQL schema, started together on an empty
// one, as behind a load balancer or with a standby. The test is the load
// balancer gone wrong: it posts every update to both at once, eight updates
// at a time, so the two also write different updates side by side (the
// advisory lock keeps their read-then-write of a total apart). Each update
// is recorded once (the unique update id: one instance answers "✅ 已记录",
// the other "这条已记录过"), both answer 200 to every post, and the totals
// are exact. The deadline reminders due at start-up, which the first pass of
// both instances finds, reach each chat once (the claim in sent_reminders);
// that start-up pass is what production runs, so the test uses it rather
// than `tsbot remind`.
//
// The daily backup needs no test here: on PostgreSQL the bot runs none
// (newBackups returns nil for any driver but sqlite; backups are pg_dump's,
// see the README), so two instances cannot both make one.
func TestTwoProcessesOnePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary twice")
	}
	dsn := pgtest.DSN(t) // skips without PostgreSQL
	started := time.Now()
	dir := t.TempDir()
	bin := buildBot(t, dir)
	srv := telegramtest.New(t)
	admin := models.User{ID: twinAdmin, FirstName: "凌晓波"}
	srv.AddChat(telegramtest.PrivateChat(admin))
	staff := twinStaff()
	for _, u := range staff {
		srv.AddChat(telegramtest.PrivateChat(models.User{ID: u.id, FirstName: "U" + strconv.Itoa(int(u.id))}))
	}

	zone := noonZone(time.Now())
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(loc)
	listen := freeAddrs(t, 2)
	listenA, listenB := listen[0], listen[1]
	cfgA := writeTwinConfig(t, dir, "a", srv.URL(), dsn, listenA, zone, today)
	cfgB := writeTwinConfig(t, dir, "b", srv.URL(), dsn, listenB, zone, today)
	// Both at once on an empty schema: they migrate it side by side.
	a := startInstance(t, bin, "a", cfgA, listenA)
	b := startInstance(t, bin, "b", cfgB, listenB)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	defer client.CloseIdleConnections()
	a.waitServing(t, client)
	b.waitServing(t, client)
	t.Logf("built and started in %v", time.Since(started).Round(time.Millisecond))

	// 250 updates: ten from each of the 24 staff, in their own county, and
	// ten from the admin, naming a county.
	type update struct {
		id   int64
		body []byte
	}
	var updates []update
	want := map[string]int{}   // county → tutoring total
	perChat := map[int64]int{} // chat → updates sent in it
	counties := data.DefaultConfig().Campaign.Counties
	date := int(time.Now().Unix())
	for i := range 250 {
		n := i%5 + 1
		from, county := admin, counties[i%len(counties)].Name
		text := fmt.Sprintf("%s 辅导企业 +%d", county, n)
		if i < 10*len(staff) {
			s := staff[i%len(staff)]
			from, county = models.User{ID: s.id, FirstName: "U" + strconv.Itoa(int(s.id))}, s.county
			text = fmt.Sprintf("辅导企业 +%d", n)
			if i%7 == 0 {
				text = fmt.Sprintf("%s 辅导企业 加%d家", county, n)
			}
		}
		u := models.Update{ID: int64(50001 + i), Message: &models.Message{
			ID: i + 1, From: &from, Date: date, Chat: telegramtest.PrivateChat(from), Text: text,
		}}
		body, err := json.Marshal(u)
		if err != nil {
			t.Fatal(err)
		}
		updates = append(updates, update{id: u.ID, body: body})
		want[county] += n
		perChat[from.ID]++
	}

	// The load balancer: eight posters, each update to both instances at
	// the same moment.
	status := make([][2]int, len(updates))
	errs := make([][2]error, len(updates))
	next := make(chan int)
	var wg sync.WaitGroup
	posted := time.Now()
	for range 8 {
		wg.Go(func() {
			for i := range next {
				var both sync.WaitGroup
				for j, in := range []*instance{a, b} {
					both.Go(func() { status[i][j], errs[i][j] = postUpdate(client, in.url, updates[i].body) })
				}
				both.Wait()
			}
		})
	}
	for i := range updates {
		next <- i
	}
	close(next)
	wg.Wait()
	t.Logf("%d updates posted to both in %v", len(updates), time.Since(posted).Round(time.Millisecond))
	for i, u := range updates {
		for j, in := range []*instance{a, b} {
			if errs[i][j] != nil || status[i][j] != http.StatusOK {
				t.Errorf("update %d to %s: %d %v", u.id, in.name, status[i][j], errs[i][j])
			}
		}
	}

	// Every update gets one reply, from the instance that recorded it: the
	// other finds its receipt and says nothing (one effect, one answer).
	// Each chat of the d-3 deadline reminders (the admin's digest, each
	// staff member's county nag) gets one reminder. Wait for them all, then
	// stop both: after that nothing more can be sent, so the counts below
	// are final.
	reminderChats := map[int64]bool{twinAdmin: true}
	for _, u := range staff {
		reminderChats[u.id] = true
	}
	wantMessages := len(updates) + len(reminderChats)
	ok := func(c telegramtest.Call) bool { return c.Status == http.StatusOK }
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err = srv.Wait(ctx, func() bool {
		n := 0
		for _, c := range srv.CallsTo("sendMessage") {
			if ok(c) {
				n++
			}
		}
		return n >= wantMessages
	})
	cancel()
	if err != nil {
		t.Errorf("waiting for %d messages: %v", wantMessages, err)
	}
	a.stop(t)
	b.stop(t)
	for _, in := range []*instance{a, b} {
		log := in.stderr.String()
		// Logged after the start-up pass and the cron have ended: both
		// instances tried every reminder, and one of them sent each.
		if !strings.Contains(log, "reminders: stopped") {
			t.Errorf("%s never finished its reminder pass:\n%s", in.name, log)
		}
		if strings.Contains(log, telegramtest.Token) {
			t.Errorf("the token appears in %s's log", in.name)
		}
		if strings.Contains(log, "level=ERROR") {
			t.Errorf("%s logged an error:\n%s", in.name, log)
		}
	}

	recorded, dups, reminders := map[int64]int{}, map[int64]int{}, map[int64]int{}
	for _, c := range srv.CallsTo("sendMessage") {
		chat, _ := strconv.ParseInt(c.Params["chat_id"], 10, 64)
		text := c.Params["text"]
		switch {
		case !ok(c):
			t.Errorf("sendMessage to %d failed: %d %s", chat, c.Status, c.Error)
		case strings.HasPrefix(text, "✅ 已记录"):
			recorded[chat]++
		case strings.HasPrefix(text, "这条已记录过，未重复计数"):
			dups[chat]++
		case strings.HasPrefix(text, "【"):
			reminders[chat]++
		default:
			t.Errorf("unexpected message to %d: %q", chat, text)
		}
	}
	for chat, n := range perChat {
		if recorded[chat] != n || dups[chat] != 0 {
			t.Errorf("chat %d: %d updates, answered %d recorded and %d already recorded; want %d and none",
				chat, n, recorded[chat], dups[chat], n)
		}
	}
	for chat := range reminderChats {
		if reminders[chat] != 1 {
			t.Errorf("chat %d got the deadline reminder %d times, want once", chat, reminders[chat])
		}
	}
	for chat, n := range reminders {
		if !reminderChats[chat] {
			t.Errorf("chat %d got %d reminders, want none", chat, n)
		}
	}

	store, err := data.Open(data.DatabaseConfig{Driver: "postgres", DSN: dsn}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	bg := context.Background()
	tot, err := store.Totals(bg)
	if err != nil {
		t.Fatal(err)
	}
	for county, n := range want {
		if got := tot[county][data.Tutoring]; got != n {
			t.Errorf("%s tutoring = %d, want %d", county, got, n)
		}
	}
	if n, err := store.CheckTotals(bg); err != nil || n != 0 {
		t.Errorf("totals disagree with the entries: %d repaired, %v", n, err)
	}
	rows, err := store.SentReminders(bg, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Status != data.ReminderSent || !reminderChats[r.ChatID] {
			t.Errorf("sent_reminders %s chat %d: %s %s", r.Key, r.ChatID, r.Status, r.Error)
		}
	}
	if len(rows) != len(reminderChats) {
		t.Errorf("%d sent_reminders rows, want %d (one per chat)", len(rows), len(reminderChats))
	}

	db, err := gorm.Open(postgres.Open(dsn), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if sqlDB, err := db.DB(); err == nil {
		defer sqlDB.Close()
	}
	var counts []struct {
		UpdateID int64
		N        int
	}
	if err := db.Raw("SELECT update_id, COUNT(*) AS n FROM batches WHERE update_id IS NOT NULL GROUP BY update_id").Scan(&counts).Error; err != nil {
		t.Fatal(err)
	}
	batches := map[int64]int{}
	for _, r := range counts {
		batches[r.UpdateID] = r.N
	}
	for _, u := range updates {
		if batches[u.id] != 1 {
			t.Errorf("update %d has %d batches, want 1", u.id, batches[u.id])
		}
	}
	if len(batches) != len(updates) {
		t.Errorf("%d update ids in batches, want %d", len(batches), len(updates))
	}
	t.Logf("done in %v", time.Since(started).Round(time.Millisecond))
}

// check and run share one validation: a config that run refuses, check
// refuses too, naming the key, and neither ever prints the token or a value
// that could be one.
func TestBadConfigRefusedByCheckAndRun(t *testing.T) {
	srv := telegramtest.New(t)
	dir := t.TempDir()
	const fileToken = "7777777:FileTokenSecretNeverShown_xyz"
	full := func(name, config string) string {
		if !strings.Contains(config, "[database]") {
			config += fmt.Sprintf("\n[database]\npath = %q\n", filepath.Join(dir, name+".db"))
		}
		return config + "\n[reminders]\nenabled = false\n"
	}
	api := fmt.Sprintf("api_url = %q\n", srv.URL())
	for _, tc := range []struct {
		name   string
		config string
		key    string   // named by the error
		secret []string // never in the output
	}{
		{"mode typo", "[telegram]\n" + api + "mode = \"webhok\"\n", "telegram.mode", []string{"webhok"}},
		{"token in mode", "[telegram]\n" + api + "mode = \"" + fileToken + "\"\n", "telegram.mode", []string{fileToken, "7777777"}},
		{"webhook without url", "[telegram]\n" + api + "mode = \"webhook\"\nwebhook_listen = \"127.0.0.1:0\"\n", "telegram.webhook_url", nil},
		{"webhook url not a url", "[telegram]\n" + api + "mode = \"webhook\"\nwebhook_url = \"bot.example.org/s3cret-path\"\n", "telegram.webhook_url", []string{"s3cret-path"}},
		{"api_url not a url", "[telegram]\napi_url = \"api.telegram.example\"\n", "telegram.api_url", []string{"api.telegram.example"}},
		{"api_url with the token", "[telegram]\ntoken = \"" + fileToken + "\"\napi_url = \"https://api.telegram.org/bot" + fileToken + "\"\n", "telegram.api_url", []string{fileToken, "7777777"}},
		{"bad listen address", "[telegram]\n" + api + "mode = \"webhook\"\nwebhook_url = \"https://bot.example.org/hook\"\nwebhook_listen = \"127.0.0.1:99999\"\n", "telegram.webhook_listen", []string{"99999"}},
		{"listen address without port", "[telegram]\n" + api + "mode = \"webhook\"\nwebhook_url = \"https://bot.example.org/hook\"\nwebhook_listen = \"localhost\"\n", "telegram.webhook_listen", nil},
		{"token not quoted", "[telegram]\ntoken = 7777777:FileTokenSecretNeverShown_xyz\n", "telegram.token", []string{fileToken, "7777777"}},
		{"unknown driver", "[database]\ndriver = \"mysql\"\n", "database.driver", []string{"mysql"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".toml")
			if err := os.WriteFile(cfg, []byte(full(tc.name, tc.config)), 0o600); err != nil {
				t.Fatal(err)
			}
			getenv := func(k string) string {
				if k == "TELEGRAM_BOT_TOKEN" {
					return telegramtest.Token
				}
				return ""
			}
			for _, cmd := range []string{"check", "run", "console"} {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second) // before the fix, run may start
				var stdout, stderr bytes.Buffer
				err := run(ctx, []string{cmd, "-config", cfg}, getenv, strings.NewReader(""), &stdout, &stderr)
				cancel()
				if err == nil || !strings.HasPrefix(err.Error(), "config: "+tc.key+": ") {
					t.Errorf("%s: err = %v, want one starting \"config: %s: \"", cmd, err, tc.key)
				}
				out := stdout.String() + stderr.String()
				if err != nil {
					out += err.Error()
				}
				for _, s := range append(tc.secret, telegramtest.Token, strings.SplitN(telegramtest.Token, ":", 2)[1]) {
					if strings.Contains(out, s) {
						t.Errorf("%s: the output shows %q:\n%s", cmd, s, out)
					}
				}
			}
		})
	}
}

// A config file that holds the token and that group or others may read is
// warned about, by check and by every start, naming the file but never
// showing the token; a private one is not.
func TestConfigFileWithTokenReadableByOthers(t *testing.T) {
	srv := telegramtest.New(t)
	dir := t.TempDir()
	fileToken := telegramtest.Token // run connects to the fake with it
	for _, tc := range []struct {
		name string
		mode os.FileMode
		warn bool
	}{{"world readable", 0o644, true}, {"group readable", 0o640, true}, {"private", 0o600, false}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".toml")
			text := fmt.Sprintf("[telegram]\ntoken = %q\napi_url = %q\n\n[database]\npath = %q\n\n[reminders]\nenabled = false\n",
				fileToken, srv.URL(), filepath.Join(dir, tc.name+".db"))
			if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(cfg, tc.mode); err != nil {
				t.Fatal(err)
			}
			getenv := func(string) string { return "" }
			for _, cmd := range []string{"check", "report", "run"} {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second) // run serves until then
				var stdout, stderr bytes.Buffer
				err := run(ctx, []string{cmd, "-config", cfg}, getenv, strings.NewReader(""), &stdout, &stderr)
				cancel()
				if err != nil {
					t.Fatalf("%s: %v\n%s", cmd, err, stderr.String())
				}
				out := stdout.String() + stderr.String()
				warned := strings.Contains(out, cfg) && strings.Contains(out, "telegram.token") && strings.Contains(out, fmt.Sprintf("%04o", tc.mode))
				if warned != tc.warn {
					t.Errorf("%s: warned = %v, want %v:\n%s", cmd, warned, tc.warn, out)
				}
				if strings.Contains(out, fileToken) || strings.Contains(out, strings.SplitN(fileToken, ":", 2)[1]) {
					t.Errorf("%s: the output shows the token:\n%s", cmd, out)
				}
			}
		})
	}
}

// One standing, everywhere: with 柯桥 over its tutoring target (25/20) and
// 越城 short (15/20), the city lacks 85 enterprises (越城's 5 and the 80 of
// the four counties with none): 柯桥's surplus covers nobody else's gap. The
// digest, the report, check and the spreadsheet all say 85 (the gap of the
// sums would be 80), and /status and the digest count the same days left.
func TestOneStandingEverywhere(t *testing.T) {
	dir := t.TempDir()
	cfgPath, dbPath := writeRemindConfig(t, dir, "http://127.0.0.1:1", 2027)
	store, err := data.Open(data.DatabaseConfig{Path: dbPath}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := store.SeedRoster(ctx, []data.Person{{UserID: 1001, Role: data.RoleAdmin, Name: "凌晓波"}}); err != nil {
		t.Fatal(err)
	}
	for i, c := range []data.Change{{County: "柯桥", Indicator: data.Tutoring, Op: data.OpAdd, Amount: 25}, {County: "越城", Indicator: data.Tutoring, Op: data.OpAdd, Amount: 15}} {
		if _, err := store.Record(ctx, data.Author{UserID: 1001, ChatID: 1001, MessageID: int64(i + 1)}, []data.Change{c}); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := data.LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	campaign, err := cfg.BuildCampaign()
	if err != nil {
		t.Fatal(err)
	}
	now, _ := time.ParseInLocation("2006-01-02 15:04", "2027-09-21 09:00", campaign.Location)
	h := bot.NewHandler(store, &campaign, nil)
	h.Now = func() time.Time { return now }
	status := h.Handle(ctx, bot.Message{UserID: 1001, ChatID: 1001, Text: "/status 柯桥"}).Text
	store.Close()

	cli := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if err := run(ctx, append(args[:1:1], append([]string{"-config", cfgPath}, args[1:]...)...), func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr.String())
		}
		return stdout.String()
	}
	digest := cli("remind", "--at", "2027-09-21 09:00", "--dry-run")
	if !strings.Contains(digest, "合计 0/1｜0/5｜0/42｜40/120\n　缺 示范区1个 省级站5个 市县级站42个 辅导85家\n　（各区县所缺相加，超额不抵）") {
		t.Errorf("digest's 合计:\n%s", digest)
	}
	var report data.Report
	if err := json.Unmarshal([]byte(cli("report", "-format", "json")), &report); err != nil {
		t.Fatal(err)
	}
	if f := report.Total.Tutoring; f.Done != 40 || f.Target != 120 || f.Gap != 85 {
		t.Errorf("report's 合计 tutoring: %+v, want 40/120, gap 85", f)
	}
	if out := cli("check"); !strings.Contains(out, data.Tutoring.Name()+"：目标 120，已完成 40，各区县尚差合计 85") {
		t.Errorf("check:\n%s", out)
	}
	xlsx := filepath.Join(dir, "city.xlsx")
	cli("export", "-out", xlsx)
	wb, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	rows, err := wb.GetRows("进度")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rows {
		if len(r) > 0 && r[0] == "合计" {
			found = true
			if got := r[len(r)-3:]; !slices.Equal(got, []string{"120", "40", "85"}) {
				t.Errorf("spreadsheet's 合计 tutoring target/done/gap = %v, want [120 40 85]", got)
			}
		}
	}
	if !found {
		t.Error("no 合计 row on 进度")
	}
	left := regexp.MustCompile(`还有(\d+)天（(\d+)个工作日）`)
	if a, b := left.FindStringSubmatch(status), left.FindStringSubmatch(digest); a == nil || b == nil || a[0] != b[0] {
		t.Errorf("days left: /status says %q, the digest %q", a, b)
	}
}

// notes records what the runner sends: the fake at the network edge.
type notes struct {
	mu   sync.Mutex
	sent []string
}

func (n *notes) Notify(ctx context.Context, chatID int64, text string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sent = append(n.sent, fmt.Sprintf("%d: %s", chatID, strings.SplitN(text, "\n", 2)[0]))
	return nil
}

// remindWorld is the handler and the reminder runner on one SQLite file,
// reopened by restart as a new process would.
type remindWorld struct {
	t      *testing.T
	path   string
	c      data.Campaign
	cfg    data.Config
	now    time.Time
	store  *data.Store
	runner *jobs.Runner
	h      *bot.Handler
	n      *notes
	log    strings.Builder
	id     int64
}

func newRemindWorld(t *testing.T) *remindWorld {
	cfg := data.DefaultConfig()
	cfg.Campaign.Counties[1].ChatID = -100 // 柯桥's group
	c, err := cfg.BuildCampaign()
	if err != nil {
		t.Fatal(err)
	}
	w := &remindWorld{t: t, path: filepath.Join(t.TempDir(), "tsbot.db"), c: c, cfg: cfg, n: &notes{},
		now: time.Date(2027, 9, 22, 9, 30, 0, 0, c.Location)}
	w.open()
	if err := w.store.SeedRoster(context.Background(), []data.Person{
		{UserID: 1001, Role: data.RoleAdmin, Name: "凌晓波"},
		{UserID: 2001, Role: data.RoleCounty, County: "柯桥", Name: "张三"},
	}); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *remindWorld) open() {
	s, err := data.Open(data.DatabaseConfig{Path: w.path}, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { s.Close() })
	s.Now = func() time.Time { return w.now }
	r, err := jobs.NewRunner(s, w.n, &w.c, w.cfg.Reminders, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	r.Now = func() time.Time { return w.now }
	h := bot.NewHandler(s, &w.c, nil)
	h.Now = func() time.Time { return w.now }
	h.Reminders = r
	w.store, w.runner, w.h = s, r, h
}

func (w *remindWorld) restart() {
	w.store.Close()
	w.open()
	fmt.Fprintf(&w.log, "—— 重启 ——\n\n")
}

func (w *remindWorld) say(user int64, text string) string {
	w.id++
	r := w.h.Handle(context.Background(), bot.Message{UserID: user, ChatID: user, MessageID: w.id, Text: text})
	fmt.Fprintf(&w.log, "> %d: %s\n%s\n\n", user, text, r.Text)
	return r.Text
}

func (w *remindWorld) run(at time.Time) {
	w.now = at
	before := len(w.n.sent)
	if _, err := w.runner.RunAt(context.Background(), at); err != nil {
		w.t.Fatal(err)
	}
	fmt.Fprintf(&w.log, "== 提醒 %s：发出%d条\n%s\n\n", at.Format("01-02 15:04"), len(w.n.sent)-before, strings.Join(w.n.sent[before:], "\n"))
}

func (w *remindWorld) golden(name string) {
	w.t.Helper()
	testkit.Golden(w.t, name, "replies", w.log.String())
}

// The contact person pauses, skips one reminder and resumes from chat; a
// restart keeps all of it, and the runner honours it. A nudge goes out at
// once, once an hour per county.
func TestReminderControlSurvivesRestart(t *testing.T) {
	w := newRemindWorld(t)
	const admin, staff = 1001, 2001
	w.say(admin, "/reminders")
	w.say(staff, "/pause")
	w.say(admin, "/skip 35") // 9月27日 county nags
	w.say(admin, "/skip 999")
	w.say(admin, "/pause until 9月27日")
	w.say(admin, "/reminders")
	w.restart()
	w.say(admin, "/reminders")
	w.run(time.Date(2027, 9, 24, 9, 0, 0, 0, w.c.Location)) // paused: nothing goes out
	w.say(admin, "/resume")
	w.run(time.Date(2027, 9, 27, 9, 0, 0, 0, w.c.Location)) // the digest goes, the skipped nags do not
	w.say(admin, "/pause")
	w.restart()
	w.run(time.Date(2027, 9, 29, 9, 0, 0, 0, w.c.Location)) // paused until /resume
	w.say(admin, "/resume")
	w.say(admin, "/remind 柯桥 请今天报送辅导名单")
	w.say(admin, "/remind 柯桥")
	w.now = w.now.Add(61 * time.Minute)
	w.say(admin, "/remind 柯桥")
	w.say(admin, "/remind")
	w.golden("remindctl")

	rows, err := w.store.SentReminders(context.Background(), "county_nag:2027-09-30:d-3:")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Status != data.ReminderSkipped || r.Error != jobs.SkipByContact {
			t.Errorf("skipped nag recorded as %+v", r)
		}
	}
	if len(rows) == 0 {
		t.Error("the skipped nags were not recorded")
	}
	if got := strings.Join(w.n.sent, "\n"); !strings.Contains(got, "-100: 【柯桥】市局提醒：") || strings.Count(got, "-100: ") != 2 {
		t.Errorf("sent:\n%s", got)
	}
}

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

// appendFile adds text at the end of a file (a section to a config).
func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
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
	a.remindThrough(channels.NewQueue(tg, dt))
	now, err := jobs.ParseInstant(at, a.campaign.Location)
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

// TestWeeklyDigestCarriesChart: the weekly digest goes out with the
// picture of the progress, on Telegram as a photo whose caption (or the
// message after it) is the digest, on DingTalk as the digest and then the
// PNG as a file; without a CJK font the digest still goes, as text.
func TestWeeklyDigestCarriesChart(t *testing.T) {
	for _, tc := range []struct {
		name  string
		font  string // chart.font; "": the installed one; "latin": one without Chinese
		photo bool
	}{
		{name: "with a CJK font", photo: true},
		{name: "without a CJK font", font: "latin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.photo {
				if _, err := chart.LoadFont(""); err != nil {
					t.Skipf("no CJK font (apt-get install %s): %v", chart.FontPackage, err)
				}
			}
			tgSrv := telegramtest.New(t)
			tgSrv.AddChat(telegramtest.PrivateChat(models.User{ID: 1001, FirstName: "凌晓波"}))
			tgSrv.AddChat(telegramtest.PrivateChat(models.User{ID: 3001, FirstName: "诸暨"}))
			tgSrv.AddChat(telegramtest.GroupChat(-100, "柯桥工作群"))
			dtSrv := dingtalktest.New(t, dtClientID, dtSecret)
			dir := t.TempDir()
			cfgPath, _ := writeTwoChannelConfig(t, dir, tgSrv.URL(), dtSrv, 2025)
			if tc.font == "latin" {
				tc.font = filepath.Join(dir, "Go-Regular.ttf")
				if err := os.WriteFile(tc.font, goregular.TTF, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			extra := fmt.Sprintf("\n[reminders]\nweekly_digest = \"0 9 * * 1\"\ndays_before = [7]\n\n[chart]\nfont = %q\n", tc.font)
			appendFile(t, cfgPath, extra)

			// Monday 22 September 2025: the weekly digest, and no deadline reminder.
			queued, stop := runChannels(t, cfgPath, "2025-09-22 09:00", &testkit.Buffer{})
			defer stop()
			if len(queued) != 2 {
				t.Fatalf("queued %v, want the weekly digest on both channels", queued)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			digest := func(text string) bool { return strings.HasPrefix(text, "【每周进度】") }

			photos := tgSrv.CallsTo("sendPhoto")
			if tc.photo {
				var err error
				if photos, err = tgSrv.WaitCalls(ctx, "sendPhoto", 1); err != nil {
					t.Fatalf("telegram: no photo: %v", err)
				}
				p := photos[0]
				if p.Params["chat_id"] != "1001" {
					t.Errorf("photo to %s, want the contact 1001", p.Params["chat_id"])
				}
				if _, err := png.Decode(bytes.NewReader(p.Files["photo"].Data)); err != nil {
					t.Errorf("the photo is not a PNG: %v", err)
				}
			}
			told := false // the digest reached Telegram, as the caption or as text
			tgSrv.Wait(ctx, func() bool {
				for _, c := range append(tgSrv.CallsTo("sendPhoto"), tgSrv.CallsTo("sendMessage")...) {
					told = told || (c.Status == 200 && (digest(c.Params["caption"]) || digest(c.Params["text"])))
				}
				return told
			})
			if !told {
				t.Errorf("the digest's text never reached Telegram")
			}
			if !tc.photo && len(photos) != 0 {
				t.Errorf("a photo without a font: %v", photos)
			}

			want := 1
			if tc.photo {
				want = 2
			}
			sent := dtSrv.WaitSent("/v1.0/robot/oToMessages/batchSend", want, 15*time.Second)
			if len(sent) != want || !digest(sent[0].Text()) {
				t.Fatalf("dingtalk sent %v, want the digest then %d file", sent, want-1)
			}
			if tc.photo {
				var param struct{ MediaID, FileName, FileType string }
				if err := json.Unmarshal([]byte(fmt.Sprint(sent[1].Body["msgParam"])), &param); err != nil || sent[1].Body["msgKey"] != "sampleFile" || param.FileType != "png" {
					t.Fatalf("dingtalk file message %v (%v)", sent[1].Body, err)
				}
				raw, ok := dtSrv.Media(param.MediaID)
				if !ok {
					t.Fatalf("media %q not uploaded", param.MediaID)
				}
				if _, err := png.Decode(bytes.NewReader(raw)); err != nil {
					t.Errorf("the DingTalk file is not a PNG: %v", err)
				}
			}
		})
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

// The benchmarks of the real binary, run as the bureau runs it: built,
// exec'd with a config, against the fake Bot API on loopback.

// benchAdmin is the admin who asks for the city's /export.
const benchAdmin int64 = 1001

// BenchmarkIdleMemory reports the resident memory (VmRSS) of the running
// bot with reminders on (target: under 40 MB), idle after its first
// update, and again after an /export of the city: the ledger of the
// issue's scale, a million entries and 80,000 names, preloaded. peak-MB
// is VmHWM, the most it held at once. Telegram alone, and Telegram with
// DingTalk in one process (on an empty ledger: what DingTalk adds).
func BenchmarkIdleMemory(b *testing.B) {
	b.Run("telegram", func(b *testing.B) {
		var idle, after, peak float64
		for range b.N {
			bb := startBigBot(b)
			idle = bb.rss(b, "VmRSS")
			bb.export(b)
			after, peak = bb.rss(b, "VmRSS"), bb.rss(b, "VmHWM")
			kill9(bb.cmd)
		}
		b.ReportMetric(idle, "idle-RSS-MB")
		b.ReportMetric(after, "after-export-RSS-MB")
		b.ReportMetric(peak, "peak-MB")
	})
	b.Run("telegram+dingtalk", func(b *testing.B) {
		var rss float64
		for range b.N {
			cmd, _ := idleBotOn(b, true)
			time.Sleep(2 * time.Second) // let start-up garbage be collected
			rss = rssOf(b, cmd.Process.Pid, "VmRSS")
			kill9(cmd)
		}
		b.ReportMetric(rss, "idle-RSS-MB")
	})
}

// BenchmarkStartupExec is the start of the real binary on a ledger of a
// million entries: from exec to the fake Bot API's first getUpdates
// (target: under 300 ms). Migrations, the check of every total against its
// entries, the roster, the reminders' schedule and the first polls are all
// in it.
func BenchmarkStartupExec(b *testing.B) {
	dir := b.TempDir()
	bin := buildBot(b, dir)
	srv := telegramtest.New(b)
	cfgPath := bigBotConfig(b, dir, srv.URL(), bigledger.Copy(b, benchLedger()))
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		seen := len(srv.CallsTo("getUpdates"))
		stderr := &testkit.Buffer{}
		b.StartTimer()
		cmd := startBot(b, bin, cfgPath, stderr)
		if err := waitPolls(srv, seen+1); err != nil {
			kill9(cmd)
			b.Fatalf("%v\n%s", err, stderr.String())
		}
		b.StopTimer()
		kill9(cmd)
		b.StartTimer()
	}
}

func waitPolls(srv *telegramtest.Server, n int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return srv.Wait(ctx, func() bool { return len(srv.CallsTo("getUpdates")) >= n })
}

// benchLedger is the ledger over the default campaign's counties.
func benchLedger() bigledger.Spec {
	var counties []string
	for _, co := range data.DefaultConfig().Campaign.Counties {
		counties = append(counties, co.Name)
	}
	return bigledger.Province(counties, time.Date(2027, 9, 18, 2, 0, 0, 0, time.UTC))
}

// bigBotConfig is the default config (reminders on) with the fake's URL,
// the ledger at dbPath and an admin on the roster.
func bigBotConfig(tb testing.TB, dir, apiURL, dbPath string) string {
	tb.Helper()
	text := fmt.Sprintf("[telegram]\napi_url = %q\n\n[database]\npath = %q\n\n[[roster]]\nuser_id = %d\nrole = \"admin\"\nname = \"凌晓波\"\n",
		apiURL, dbPath, benchAdmin)
	path := filepath.Join(dir, "tsbot.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

type bigBot struct {
	cmd    *exec.Cmd
	srv    *telegramtest.Server
	stderr *testkit.Buffer
}

// startBigBot starts the real binary on the big ledger, has it answer one
// update and leaves it idle in its long poll.
func startBigBot(b *testing.B) *bigBot {
	dir := b.TempDir()
	bin := buildBot(b, dir)
	srv := telegramtest.New(b)
	cfgPath := bigBotConfig(b, dir, srv.URL(), bigledger.Copy(b, benchLedger()))
	bb := &bigBot{srv: srv, stderr: &testkit.Buffer{}}
	bb.cmd = startBot(b, bin, cfgPath, bb.stderr)
	bb.send(b, "/status", "sendMessage")
	time.Sleep(2 * time.Second) // let start-up garbage be collected
	return bb
}

// send has the admin send text and waits for the answer by method.
func (bb *bigBot) send(b *testing.B, text, method string) {
	b.Helper()
	seen := len(bb.srv.CallsTo(method))
	from := models.User{ID: benchAdmin, FirstName: "凌"}
	bb.srv.SendText(from, telegramtest.PrivateChat(from), text)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := bb.srv.WaitCalls(ctx, method, seen+1); err != nil {
		kill9(bb.cmd)
		b.Fatalf("%s: %v\n%s", text, err, bb.stderr.String())
	}
}

// export asks for the city's spreadsheet, and lets the process settle:
// until its VmRSS has not changed for longer than ReturnMemory's period
// (5 s), at most 60 s.
func (bb *bigBot) export(b *testing.B) {
	bb.send(b, "/export", "sendDocument")
	last, since := bb.rss(b, "VmRSS"), time.Now()
	for end := time.Now().Add(60 * time.Second); time.Now().Before(end) && time.Since(since) < 7*time.Second; {
		time.Sleep(500 * time.Millisecond)
		if v := bb.rss(b, "VmRSS"); v != last {
			last, since = v, time.Now()
		}
	}
}

func (bb *bigBot) rss(b *testing.B, field string) float64 {
	return rssOf(b, bb.cmd.Process.Pid, field)
}

// rssOf reads one of the memory lines of /proc/<pid>/status, in MB.
func rssOf(b *testing.B, pid int, field string) float64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return float64(kb) / 1024
		}
	}
	b.Fatalf("no %s in /proc status", field)
	return 0
}
