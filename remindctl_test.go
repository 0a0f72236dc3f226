package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"tsbot/bot"
	"tsbot/data"
	"tsbot/jobs"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

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
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(w.log.String()), 0o644); err != nil {
			w.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		w.t.Fatalf("%v (go test . -run %s -update writes it)", err, w.t.Name())
	}
	if got := w.log.String(); got != string(want) {
		w.t.Errorf("differs from %s (go test . -update rewrites it):\n--- got\n%s", path, got)
	}
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
