package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"tsbot/data"
	"tsbot/data/testkit"
)

// The roster of the runner tests: the contact is an admin; 柯桥 has a work
// group, the other counties are reached through their staff, 越城 two of them.
const (
	admin      int64 = 1001
	keqiaoChat int64 = -100
)

var staff = []data.Person{
	{UserID: admin, Role: data.RoleAdmin, Name: "凌晓波"},
	{UserID: 2001, Role: data.RoleCounty, County: "越城"},
	{UserID: 2002, Role: data.RoleCounty, County: "越城"},
	{UserID: 3001, Role: data.RoleCounty, County: "上虞"},
	{UserID: 4001, Role: data.RoleCounty, County: "诸暨"},
	{UserID: 5001, Role: data.RoleCounty, County: "新昌"},
	{UserID: 6001, Role: data.RoleCounty, County: "嵊州"},
	{UserID: 9001, Role: data.RoleViewer},
}

// d7Chats are the chats of the d-7 reminders: contact, then counties in campaign order.
var d7Chats = []int64{admin, 2001, 2002, keqiaoChat, 3001, 4001, 5001, 6001}

type fixture struct {
	path  string
	store *data.Store
	c     *data.Campaign
	cfg   data.RemindersConfig
	logs  *testkit.Buffer
}

func newFixture(t testing.TB, tweak func(*data.Config)) *fixture {
	t.Helper()
	c, cfg := buildCampaign(t, func(cfg *data.Config) {
		cfg.Campaign.Counties[1].ChatID = keqiaoChat
		if tweak != nil {
			tweak(cfg)
		}
	})
	f := &fixture{path: filepath.Join(t.TempDir(), "tsbot.db"), c: c, cfg: cfg, logs: &testkit.Buffer{}}
	f.open(t)
	if err := f.store.SeedRoster(context.Background(), staff); err != nil {
		t.Fatal(err)
	}
	return f
}

// open opens the database file: a fresh process, as far as the store knows.
func (f *fixture) open(t testing.TB) {
	t.Helper()
	s, err := data.Open(data.DatabaseConfig{Path: f.path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f.store = s
}

// restart closes the store and opens the same file again.
func (f *fixture) restart(t testing.TB) {
	t.Helper()
	if err := f.store.Close(); err != nil {
		t.Fatal(err)
	}
	f.open(t)
}

func (f *fixture) runner(t testing.TB, n Notifier, now time.Time) *Runner {
	t.Helper()
	log := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r, err := NewRunner(f.store, n, f.c, f.cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	r.Now = func() time.Time { return now }
	return r
}

func (f *fixture) rows(t testing.TB, prefix string) []data.SentReminder {
	t.Helper()
	rows, err := f.store.SentReminders(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// recorder is the fake at the edge: it records what would reach Telegram.
// fail, if set, decides the answer of each send (n counts from 1).
type recorder struct {
	mu   sync.Mutex
	sent []message
	fail func(chatID int64, n int) error
}

type message struct {
	chatID int64
	text   string
}

func (r *recorder) Notify(ctx context.Context, chatID int64, text string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		if err := r.fail(chatID, len(r.sent)+1); err != nil {
			return err
		}
	}
	r.sent = append(r.sent, message{chatID, text})
	return nil
}

func (r *recorder) messages() []message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.sent)
}

func chats(ms []message) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.chatID
	}
	return out
}

func statuses(os []Outcome) map[string]int {
	out := map[string]int{}
	for _, o := range os {
		out[o.Status]++
	}
	return out
}

func mustRun(t testing.TB, r *Runner, now time.Time) []Outcome {
	t.Helper()
	out, err := r.RunAt(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRunAtSendsOnce(t *testing.T) {
	f := newFixture(t, nil)
	now := local("2027-09-22 09:00")
	rec := &recorder{}
	r := f.runner(t, rec, now)

	// The weekly digest of Monday and the d-30 and d-14 reminders are from
	// earlier days: recorded as missed, not sent.
	out := mustRun(t, r, now)
	if got := chats(rec.messages()); !slices.Equal(got, d7Chats) {
		t.Fatalf("sent to %v, want %v", got, d7Chats)
	}
	if st := statuses(out); st[data.ReminderSent] != len(d7Chats) || st[data.ReminderFailed] != 0 {
		t.Errorf("outcomes %v", st)
	}
	ms := rec.messages()
	if !strings.HasPrefix(ms[0].text, "【截止提醒】") || !strings.Contains(ms[0].text, "合计") {
		t.Errorf("contact digest:\n%s", ms[0].text)
	}
	if !strings.HasPrefix(ms[1].text, "【越城】") || ms[1].text != ms[2].text {
		t.Errorf("越城's two staff got\n%s\n---\n%s", ms[1].text, ms[2].text)
	}

	// The same instant again, the same runner, a new runner, a restarted
	// process half an hour later: nothing more.
	mustRun(t, r, now)
	mustRun(t, f.runner(t, rec, now), now)
	f.restart(t)
	later := now.Add(30 * time.Minute)
	if out := mustRun(t, f.runner(t, rec, later), later); statuses(out)[data.ReminderSent] != 0 {
		t.Errorf("after a restart: %v", statuses(out))
	}
	if n := len(rec.messages()); n != len(d7Chats) {
		t.Errorf("%d messages in all, want %d", n, len(d7Chats))
	}
	for _, row := range f.rows(t, "county_nag:2027-09-30:d-7:") {
		if row.Status != data.ReminderSent {
			t.Errorf("row %+v, want sent", row)
		}
	}
}

// A process stops in the middle of a day's sends; the next one sends the
// rest and not what was sent, nor what was claimed and maybe sent.
func TestRunAtRestartMidPass(t *testing.T) {
	f := newFixture(t, nil)
	now := local("2027-09-22 09:00")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := &recorder{fail: func(chatID int64, n int) error {
		if n == 2 {
			cancel() // shutdown right after the second send
		}
		return nil
	}}
	// Another process claimed 上虞's nag and died before sending it.
	if ok, err := f.store.ClaimReminder(ctx, "county_nag:2027-09-30:d-7:上虞", 3001, now); err != nil || !ok {
		t.Fatal(ok, err)
	}
	_, err := f.runner(t, first, now).RunAt(ctx, now)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if got := chats(first.messages()); !slices.Equal(got, d7Chats[:2]) {
		t.Fatalf("first process sent to %v, want %v", got, d7Chats[:2])
	}

	f.restart(t)
	now = now.Add(5 * time.Minute)
	second := &recorder{}
	mustRun(t, f.runner(t, second, now), now)
	var want []int64
	for _, id := range d7Chats[2:] {
		if id != 3001 {
			want = append(want, id)
		}
	}
	if got := chats(second.messages()); !slices.Equal(got, want) {
		t.Errorf("second process sent to %v, want %v", got, want)
	}
	rows := f.rows(t, "county_nag:2027-09-30:d-7:上虞")
	if len(rows) != 1 || rows[0].Status != data.ReminderClaimed {
		t.Errorf("上虞 rows %+v: the stale claim should stand", rows)
	}
}

func TestRunAtMissedDayAfter(t *testing.T) {
	f := newFixture(t, nil)
	now := local("2027-09-23 09:30") // the bot was down all of 22 September
	rec := &recorder{}
	out := mustRun(t, f.runner(t, rec, now), now)
	if n := len(rec.messages()); n != 0 {
		t.Fatalf("%d messages sent late", n)
	}
	if st := statuses(out); st[data.ReminderSkipped] == 0 || len(st) != 1 {
		t.Errorf("outcomes %v, want only skipped", st)
	}
	rows := f.rows(t, "county_nag:2027-09-30:d-7:")
	if len(rows) != 7 { // 越城's two staff, then one chat per county
		t.Fatalf("rows %+v", rows)
	}
	for _, row := range rows {
		if row.Status != data.ReminderSkipped || row.Error != SkipMissed {
			t.Errorf("row %+v, want skipped as missed", row)
		}
	}
	logged := strings.Count(f.logs.String(), "missed while the bot was down")
	if logged != len(out) {
		t.Errorf("%d missed log lines for %d outcomes", logged, len(out))
	}
	// Logged once: a new process the same day records and says nothing more.
	f.restart(t)
	if out := mustRun(t, f.runner(t, rec, now), now.Add(time.Minute)); len(out) != 0 {
		t.Errorf("second pass: %d outcomes", len(out))
	}
	if n := strings.Count(f.logs.String(), "missed while the bot was down"); n != logged {
		t.Errorf("missed logged %d times, then %d", logged, n)
	}
}

func TestRunAtCountyThatMetEveryTargetGetsNoNag(t *testing.T) {
	f := newFixture(t, nil)
	now := local("2027-09-22 09:00")
	f.store.Now = func() time.Time { return now.AddDate(0, 0, -3) }
	_, err := f.store.Record(context.Background(), data.Author{UserID: admin, MessageID: 1}, []data.Change{
		{County: "柯桥", Indicator: data.ProvincialStation, Amount: 1},
		{County: "柯桥", Indicator: data.CityStation, Amount: 8},
		{County: "柯桥", Indicator: data.Tutoring, Amount: 25},
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	mustRun(t, f.runner(t, rec, now), now)
	if slices.Contains(chats(rec.messages()), keqiaoChat) {
		t.Error("柯桥 met every target and was nagged")
	}
	if !strings.Contains(rec.messages()[0].text, "柯桥 —｜1/1｜8/7｜25/20 ✓") {
		t.Errorf("contact digest does not show 柯桥 done:\n%s", rec.messages()[0].text)
	}
	rows := f.rows(t, "county_nag:2027-09-30:d-7:柯桥")
	if len(rows) != 1 || rows[0].Status != data.ReminderSkipped || rows[0].Error != SkipTargetsMet {
		t.Errorf("柯桥 rows %+v", rows)
	}
}

// After lists_due nothing more is said about it: from the day after, only
// the acceptance reminder of 8 October goes out.
func TestRunAtAfterTheDeadline(t *testing.T) {
	f := newFixture(t, nil)
	rec := &recorder{}
	day := local("2027-09-30 09:00")
	r := f.runner(t, rec, day)
	mustRun(t, r, day)
	before := len(rec.messages())
	var late []string
	for d := day.AddDate(0, 0, 1); d.Before(local("2027-12-31")); d = d.AddDate(0, 0, 1) {
		for _, hm := range []time.Duration{0, 8 * time.Hour} { // 09:00 and 17:00
			for _, o := range mustRun(t, r, d.Add(hm)) {
				if o.Status == data.ReminderSent {
					late = append(late, o.Reminder.Key)
				}
			}
		}
	}
	for _, k := range late {
		if !strings.HasPrefix(k, "acceptance_after:2027-10-08") {
			t.Errorf("sent after the deadline: %s", k)
		}
	}
	if len(late) != len(d7Chats) || len(rec.messages()) != before+len(late) {
		t.Errorf("after the deadline: %d sent (%v), want the acceptance note to %d chats", len(late), late, len(d7Chats))
	}
}

func TestRunAtCampaignWithoutDates(t *testing.T) {
	f := newFixture(t, func(cfg *data.Config) {
		cfg.Campaign.CultivationDue, cfg.Campaign.ListsDue = "", ""
		cfg.Campaign.AcceptanceFrom, cfg.Campaign.AcceptanceTo = "", ""
	})
	rec := &recorder{}
	r := f.runner(t, rec, local("2027-01-01"))
	for d := local("2027-01-01 09:00"); d.Year() == 2027; d = d.AddDate(0, 0, 1) {
		if out := mustRun(t, r, d); len(out) != 0 {
			t.Fatalf("%s: %d outcomes", d, len(out))
		}
	}
	if len(rec.messages()) != 0 || len(f.rows(t, "")) != 0 {
		t.Error("a campaign with no dates sent or recorded something")
	}
	if lines := r.Upcoming(context.Background(), local("2027-01-01"), 5); len(lines) != 0 {
		t.Errorf("upcoming %v", lines)
	}
}

// Send errors, as the Telegram sender returns them after its own retries.
func TestRunAtSendErrors(t *testing.T) {
	f := newFixture(t, nil)
	now := local("2027-09-22 09:00")
	rec := &recorder{fail: func(chatID int64, n int) error {
		switch chatID {
		case 2002:
			return fmt.Errorf("%w: telegram: sendMessage: forbidden, Forbidden: bot was blocked by the user", ErrUnreachable)
		case keqiaoChat:
			return errors.New("telegram: sendMessage: internal server error, Internal Server Error")
		case 3001:
			return errors.New("telegram: sendMessage: bad request, Bad Request: chat not found")
		}
		return nil
	}}
	r := f.runner(t, rec, now)
	var d7 []Outcome
	for _, o := range mustRun(t, r, now) {
		if strings.Contains(o.Reminder.Key, ":d-7") {
			d7 = append(d7, o)
		}
	}
	if st := statuses(d7); st[data.ReminderSent] != 5 || st[data.ReminderSkipped] != 1 || st[data.ReminderFailed] != 2 {
		t.Errorf("outcomes %v", st)
	}
	want := map[int64]string{2002: data.ReminderSkipped, keqiaoChat: data.ReminderFailed, 3001: data.ReminderFailed, 2001: data.ReminderSent}
	for _, row := range f.rows(t, "county_nag:2027-09-30:d-7:") {
		if w, ok := want[row.ChatID]; ok && (row.Status != w || (w != data.ReminderSent) == (row.Error == "")) {
			t.Errorf("chat %d: %+v, want %s with the error", row.ChatID, row, w)
		}
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "reminder_key=county_nag:2027-09-30:d-7:上虞") || !strings.Contains(logs, "chat_id=3001") || !strings.Contains(logs, "chat not found") {
		t.Errorf("the unknown chat is not logged with its key:\n%s", logs)
	}
	// Failed and refused are final: no second try, no flood of retries.
	rec.fail = nil
	mustRun(t, f.runner(t, rec, now), now.Add(time.Minute))
	if n := len(rec.messages()); n != 5 {
		t.Errorf("%d messages after a second pass, want the 5 first", n)
	}
}

// A digest longer than a message goes to the channel whole, recorded once:
// cutting it into messages is the channel's (bot/telegram's split).
func TestRunAtSendsLongDigestsWhole(t *testing.T) {
	f := newFixture(t, func(cfg *data.Config) {
		// 150 counties: the contact digest runs past one message.
		base := cfg.Campaign.Counties[0]
		cfg.Campaign.Counties = cfg.Campaign.Counties[:2]
		for i := range 148 {
			co := base
			co.Name, co.FullName, co.Aliases = fmt.Sprintf("县%03d", i), fmt.Sprintf("县%03d县", i), nil
			cfg.Campaign.Counties = append(cfg.Campaign.Counties, co)
		}
	})
	now := local("2027-09-22 09:00")
	rec := &recorder{}
	mustRun(t, f.runner(t, rec, now), now)
	var parts []string
	for _, m := range rec.messages() {
		if m.chatID == admin {
			parts = append(parts, m.text)
		}
	}
	if len(parts) != 1 {
		t.Fatalf("digest in %d part(s), want 1", len(parts))
	}
	if n := len(utf16.Encode([]rune(parts[0]))); n <= 4096 {
		t.Fatalf("digest of %d UTF-16 units: the test needs one longer than a message", n)
	}
	if !strings.HasPrefix(parts[0], "【截止提醒】") || !strings.Contains(parts[0], "合计") {
		t.Error("digest incomplete")
	}
	rows := f.rows(t, "contact_digest:2027-09-30:d-7")
	if len(rows) != 1 || rows[0].Status != data.ReminderSent {
		t.Errorf("rows %+v: one record for the whole digest", rows)
	}
}

func TestNewRunnerRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name  string
		tweak func(*data.Config)
		key   string
	}{
		{"time", func(cfg *data.Config) { cfg.Reminders.Time = "9点" }, "reminders.time"},
		{"cron", func(cfg *data.Config) { cfg.Reminders.WeeklyDigest = "every monday" }, "reminders.weekly_digest"},
		{"negative days", func(cfg *data.Config) { cfg.Reminders.DaysBefore = []int{7, -1} }, "reminders.days_before"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, cfg := buildCampaign(t, tt.tweak)
			_, err := NewRunner(nil, nil, c, cfg, nil)
			if err == nil || !strings.Contains(err.Error(), tt.key) {
				t.Errorf("err = %v, want one naming %s", err, tt.key)
			}
		})
	}
}

func TestProblems(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	// A roster with no admin left (RemovePerson refuses to remove the last).
	if err := f.store.ForceRemovePerson(ctx, admin); err != nil {
		t.Fatal(err)
	}
	if err := f.store.RemovePerson(ctx, 3001); err != nil {
		t.Fatal(err)
	}
	if err := f.store.SavePerson(ctx, data.Person{UserID: 7001, Role: data.RoleCounty, County: "绍兴县"}); err != nil {
		t.Fatal(err)
	}
	// The console's stand-in admin is no Telegram user: it reaches nobody.
	if err := f.store.SavePerson(ctx, data.Person{UserID: -1, Role: data.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	got, err := f.runner(t, &recorder{}, local("2027-09-01")).Problems(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"reminders.contact_chat_id", "campaign.counties[2].chat_id", "roster: user 7001"}
	if len(got) != len(want) {
		t.Fatalf("problems %q", got)
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i].String(), w) {
			t.Errorf("problem %d = %q, want it to start with %q", i, got[i], w)
		}
	}
	// At send time the gap is logged and recorded, not skipped silently.
	now := local("2027-09-22 09:00")
	mustRun(t, f.runner(t, &recorder{}, now), now)
	rows := f.rows(t, "county_nag:2027-09-30:d-7:上虞")
	if len(rows) != 1 || rows[0].ChatID != 0 || rows[0].Error != SkipNoRecipient {
		t.Errorf("上虞 rows %+v", rows)
	}
	if !strings.Contains(f.logs.String(), "config_key=\"campaign.counties[2].chat_id (0: the county's staff on the roster)\"") {
		t.Errorf("log does not name the config key:\n%s", f.logs.String())
	}
}

// Run sends at once what is due today (the catch-up of a restart), then
// stops when its context ends.
func TestRunCatchesUpAndStops(t *testing.T) {
	f := newFixture(t, nil)
	now := local("2027-09-22 09:30")
	rec := &recorder{}
	r := f.runner(t, rec, now)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for len(rec.messages()) < len(d7Chats) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
	if got := chats(rec.messages()); !slices.Equal(got, d7Chats) {
		t.Errorf("catch-up sent to %v, want %v", got, d7Chats)
	}
}

func TestUpcomingAndSendDigestNow(t *testing.T) {
	f := newFixture(t, nil)
	now := local("2027-09-22 09:30")
	rec := &recorder{}
	r := f.runner(t, rec, now)
	got := r.Upcoming(context.Background(), now, 3)
	want := []string{
		"#34 9月27日（周一）09:00 截止提醒（联系人） → 联系人",
		"#35 9月27日（周一）09:00 截止提醒（区县） → 各区县",
		"#41 9月29日（周三）09:00 截止提醒（联系人） → 联系人",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Upcoming =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Seen from the year before, the dates carry their year.
	if got := r.Upcoming(context.Background(), local("2026-11-28 10:00"), 1); len(got) != 1 || !strings.HasPrefix(got[0], "#1 2027年") {
		t.Errorf("Upcoming from 2026 = %q, want a line starting 2027年", got)
	}

	n, err := r.SendDigestNow(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("SendDigestNow = %d, %v; want 1", n, err)
	}
	if ms := rec.messages(); ms[0].chatID != admin || !strings.Contains(ms[0].text, "距9月30日（周四）名单报送截止还有8天（7个工作日）") {
		t.Errorf("digest %+v", ms)
	}
	// Pressed again in the same minute: not sent twice.
	if n, err := r.SendDigestNow(context.Background()); err != nil || n != 0 {
		t.Errorf("second SendDigestNow = %d, %v; want 0", n, err)
	}
	r.Now = func() time.Time { return local("2027-10-02 10:00") }
	if _, err := r.SendDigestNow(context.Background()); err == nil || !strings.Contains(err.Error(), "has passed") {
		t.Errorf("after the deadline: %v", err)
	}
}

// BenchmarkRunAtWithStore is one tick at 09:00 on d-7 of a province-size
// campaign, the store included: 90 counties, 200,000 ledger entries in
// SQLite over 120 days; read the roster, the totals and the pace window,
// and render every due reminder (Plan: what RunAt sends, less the sends).
func BenchmarkRunAtWithStore(b *testing.B) {
	now := local("2027-09-22 09:00")
	c, cfg, done, history := province(b, now)
	for i := range c.Counties {
		c.Counties[i].ChatID = -1000 - int64(i)
	}
	cfg.ContactChatID = admin
	path := filepath.Join(b.TempDir(), "bench.db")
	store, err := data.Open(data.DatabaseConfig{Path: path}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	seedHistory(b, path, history, done)
	r, err := NewRunner(store, &recorder{}, c, cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var plan []Delivery
	b.ReportAllocs()
	for b.Loop() {
		plan, err = r.Plan(ctx, now)
		if err != nil {
			b.Fatal(err)
		}
	}
	texts := 0
	for _, d := range plan {
		if d.Text != "" {
			texts++
		}
	}
	if len(plan) < 91 || texts < 80 {
		b.Fatalf("%d deliveries, %d texts", len(plan), texts)
	}
	b.ReportMetric(float64(texts), "texts")
}

// seedHistory writes the points straight into the ledger's tables in one
// transaction, as bot's seedEntries does, and the totals as province scaled
// them (so most counties are short and get a nag).
func seedHistory(b *testing.B, path string, history []Point, done map[string]data.Counts) {
	b.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO batches (id, kind, user_id, text, created_at) VALUES (1, 'update', 1, 'seed', ?)`, time.Now().UTC()); err != nil {
		b.Fatal(err)
	}
	stmt, err := tx.Prepare(`INSERT INTO entries (batch_id, county, indicator, op, amount, delta, line, user_id, created_at) VALUES (1, ?, ?, 'add', ?, ?, 'seed', 1, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	// In time order, as the single writer records them.
	sorted := slices.Clone(history)
	slices.SortFunc(sorted, func(x, y Point) int { return x.At.Compare(y.At) })
	for _, p := range sorted {
		if _, err := stmt.Exec(p.County, p.Indicator.Key(), p.Delta, p.Delta, p.At.UTC()); err != nil {
			b.Fatal(err)
		}
	}
	for county, counts := range done {
		for _, ind := range data.Indicators {
			if _, err := tx.Exec(`INSERT INTO totals (county, indicator, done) VALUES (?, ?, ?)`, county, ind.Key(), counts[ind]); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}
