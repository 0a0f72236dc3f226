package bot

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tsbot/data"
	"tsbot/data/testkit"
)

// The people of the handler tests.
const (
	admin    int64 = 100 // the city contact person
	keqiao   int64 = 200 // 柯桥 staff
	keqiao2  int64 = 201 // another 柯桥 staff member
	viewer   int64 = 300 // a leader, read only
	stranger int64 = 999 // not on the roster
	group    int64 = -5000
)

var fixedNow = time.Date(2027, 9, 20, 1, 30, 0, 0, time.UTC) // 09:30 in Shaoxing, 10 days before the lists are due

type fixture struct {
	t      *testing.T
	h      *Handler
	store  *data.Store
	path   string
	nextID int64
	log    strings.Builder
	// shown is every reply of the session as a phone shows it, for the
	// width check and the screenshots (phone_test.go).
	shown []shownReply
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	cfg := data.DefaultConfig()
	c, err := cfg.BuildCampaign()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "bot.db")
	store, err := data.Open(data.DatabaseConfig{Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	store.Now = func() time.Time { return fixedNow }
	err = store.SeedRoster(context.Background(), []data.Person{
		{UserID: admin, Role: data.RoleAdmin, Name: "凌晓波"},
		{UserID: keqiao, Role: data.RoleCounty, County: "柯桥", Name: "张三"},
		{UserID: keqiao2, Role: data.RoleCounty, County: "柯桥", Name: "李四"},
		{UserID: viewer, Role: data.RoleViewer, Name: "王局"},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler(store, &c, nil)
	h.Now = func() time.Time { return fixedNow }
	return &fixture{t: t, h: h, store: store, path: path}
}

var names = map[int64]string{admin: "凌晓波", keqiao: "张三", keqiao2: "李四", viewer: "王局", stranger: "路人"}

// say sends a private message and logs the exchange for the golden file.
func (f *fixture) say(user int64, text string) Reply {
	return f.send(Message{UserID: user, ChatID: user, Text: text})
}

// sayInGroup sends a group message, not addressed to the bot.
func (f *fixture) sayInGroup(user int64, text string) Reply {
	return f.send(Message{UserID: user, ChatID: group, Group: true, Text: text})
}

func (f *fixture) send(m Message) Reply {
	f.nextID++
	m.MessageID, m.UpdateID, m.UserName = f.nextID, f.nextID, names[m.UserID]
	r := f.h.Handle(context.Background(), m)
	where := ""
	if m.Group {
		where = " (群)"
	}
	f.record(fmt.Sprintf("%s%s: %s", names[m.UserID], where, clip(m.Text, 60)), r)
	return r
}

// press presses button i of the latest reply as user.
func (f *fixture) press(user int64, r Reply, i int) Reply {
	f.t.Helper()
	if i >= len(r.Buttons) {
		f.t.Fatalf("no button %d in %+v", i, r)
	}
	f.nextID++
	got := f.h.HandlePress(context.Background(), Press{UpdateID: f.nextID, UserID: user, UserName: names[user], ChatID: user, Data: r.Buttons[i].Data})
	f.record(fmt.Sprintf("%s 按下 [%s]", names[user], r.Buttons[i].Label), got)
	return got
}

func (f *fixture) record(in string, r Reply) {
	f.shown = append(f.shown, shownReply{in: in, r: r})
	fmt.Fprintf(&f.log, "> %s\n", in)
	switch {
	case r.Text == "":
		f.log.WriteString("（不回复）\n")
	case r.Alert:
		f.log.WriteString("（只给按键人的提示框）" + r.Text + "\n")
	case r.Replace:
		f.log.WriteString("（替换按钮所在的消息）\n" + r.Text + "\n")
	default:
		f.log.WriteString(r.Text + "\n")
	}
	for _, b := range r.Buttons {
		fmt.Fprintf(&f.log, "[%s]", b.Label)
	}
	if len(r.Buttons) > 0 {
		f.log.WriteString("\n")
	}
	f.log.WriteString("\n")
}

func (f *fixture) totals() map[string]data.Counts {
	f.t.Helper()
	got, err := f.store.Totals(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return got
}

func (f *fixture) golden(name string) {
	f.t.Helper()
	f.phone(name)
	testkit.Golden(f.t, name, "replies", f.log.String())
}

func TestCountyStaffSession(t *testing.T) {
	f := newFixture(t)
	f.say(keqiao, "/start")
	r := f.say(keqiao, "辅导企业 +3")
	f.say(keqiao, "柯桥区 市县级示范站 新增两个；柯桥 省级示范站 +1")
	f.say(keqiao, "越城 辅导企业 +1") // another county: refused
	f.say(keqiao, "柯桥 辅导企业 -9") // below zero: refused
	f.say(keqiao, "柯桥 辅导企业 +1001")
	amb := f.say(keqiao, "柯桥 辅导企业 5")
	f.press(keqiao2, amb, 1) // someone else's question
	f.press(keqiao, amb, 1)  // =5
	f.press(keqiao, amb, 0)  // a second press of the same question changes nothing
	f.say(keqiao, "进度")
	f.press(keqiao2, r, 0) // someone else's undo button
	f.say(keqiao, "/undo")
	f.press(keqiao, r, 0) // the first update's undo button
	f.press(keqiao, r, 0) // pressed twice
	f.say(keqiao, "/history 柯桥")
	f.say(keqiao, "好的")
	f.golden("county_staff")
	// /undo takes back the =5 (the latest), the button the +3: 市县站 2, 省级站 1, 辅导 0.
	if got, want := f.totals()["柯桥"], (data.Counts{0, 1, 2, 0}); got != want {
		t.Errorf("柯桥 totals = %v, want %v", got, want)
	}
}

func TestAdminSession(t *testing.T) {
	f := newFixture(t)
	f.say(admin, "辅导企业 +3") // an admin must name the county
	f.say(admin, "越城 示范区 +1\n诸暨 市县级 =3\n嵊州 辅导 累计12家")
	f.say(admin, "/status")
	f.say(admin, "/status 诸暨市")
	f.say(admin, "/status 杭州")
	f.say(admin, "/targets")
	f.say(admin, "/adduser 555 新昌 赵六")
	f.say(admin, "/adduser 556 viewer")
	f.say(admin, "/adduser abc 新昌")
	f.say(admin, "/adduser 557 杭州")
	f.say(admin, "/users")
	f.say(admin, "/removeuser 556")
	f.say(admin, "/removeuser 556")
	f.say(admin, "/nosuchcommand")
	f.say(keqiao, "/adduser 1 admin")   // not an admin
	f.say(admin, "/adduser 100 viewer") // demoting oneself
	f.golden("admin")
	want := map[string]data.Counts{"越城": {1, 0, 0, 0}, "诸暨": {0, 0, 3, 0}, "嵊州": {0, 0, 0, 12}}
	if got := f.totals(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("totals = %v, want %v", got, want)
	}
	if p, err := f.store.Person(context.Background(), admin); err != nil || p.Role != data.RoleAdmin {
		t.Errorf("admin after trying to demote themselves = %+v, %v", p, err)
	}
	p, err := f.store.Person(context.Background(), 555)
	if err != nil || p.Role != data.RoleCounty || p.County != "新昌" || p.Name != "赵六" {
		t.Errorf("added person = %+v, %v", p, err)
	}
}

func TestOutsidersChangeNothing(t *testing.T) {
	f := newFixture(t)
	f.say(viewer, "柯桥 辅导企业 +3")
	f.say(viewer, "柯桥 辅导企业 3")
	f.say(viewer, "柯桥 进度")
	f.say(stranger, "/status")
	f.say(stranger, "柯桥 辅导企业 +3")
	f.say(stranger, "你好")
	f.sayInGroup(stranger, "大家好，明天开会")
	f.sayInGroup(keqiao, "收到")
	f.sayInGroup(keqiao, "柯桥 辅导企业 +2")
	f.sayInGroup(keqiao, "柯乔 辅导企业 +2")
	f.golden("outsiders")
	if got := f.totals(); fmt.Sprint(got) != fmt.Sprint(map[string]data.Counts{"柯桥": {0, 0, 0, 2}}) {
		t.Errorf("totals = %v: only 张三's group update should count", got)
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	f := newFixture(t)
	inputs := []string{
		strings.Repeat("柯桥 辅导企业 +1\n", 400), // over 4096 characters
		"柯桥 辅导企业 +3\x00",
		"柯👍桥 辅导企业 +3", // an emoji at the end of a line is decoration; inside a county it is not
		"柯桥 辅导企业 +几",
		"柯桥 +3",
		"柯桥 辅导企业",
		"柯桥 辅导企业 =-2",
		"柯桥 辅导企业 +3\n越城 辅导企业 +abc", // all or nothing
		"/status 柯桥 越城",
		"/removeuser",
	}
	for _, in := range inputs {
		r := f.say(admin, in)
		if r.Text == "" {
			t.Errorf("%q: no reply", in)
		}
		if strings.HasPrefix(r.Text, "✅") {
			t.Errorf("%q: recorded: %s", in, r.Text)
		}
	}
	if got := f.totals(); len(got) != 0 {
		t.Errorf("bad input changed totals: %v", got)
	}
	f.golden("bad_input")
}

func TestRedeliveredUpdateCountsOnce(t *testing.T) {
	f := newFixture(t)
	m := Message{UpdateID: 77, UserID: keqiao, ChatID: keqiao, MessageID: 1, Text: "辅导企业 +4"}
	first := f.h.Handle(context.Background(), m)
	again := f.h.Handle(context.Background(), m)
	if !strings.HasPrefix(first.Text, "✅") || !strings.Contains(again.Text, "未重复计数") || !strings.Contains(again.Text, "4/20") {
		t.Errorf("first %q, again %q", first.Text, again.Text)
	}
	if got := f.totals()["柯桥"][data.Tutoring]; got != 4 {
		t.Errorf("total = %d, want 4", got)
	}
}

// A database that refuses writes (disk full, read-only file) must answer
// "not saved" and change nothing.
func TestDatabaseFailureSaysNotSaved(t *testing.T) {
	f := newFixture(t)
	db, err := sql.Open("sqlite3", f.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TRIGGER full BEFORE INSERT ON entries BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`); err != nil {
		t.Fatal(err)
	}
	r := f.say(keqiao, "辅导企业 +3")
	if r.Text != msgNotSaved {
		t.Errorf("reply = %q, want %q", r.Text, msgNotSaved)
	}
	if got := f.totals(); len(got) != 0 {
		t.Errorf("totals = %v after a failed write", got)
	}
	if _, err := f.store.LastUndoable(context.Background(), keqiao); err == nil {
		t.Error("a batch was left behind by the failed write")
	}
}

// A message with two ambiguous parts asks about one, then the other, each
// with its buttons; each answer takes the place of the question it answers.
func TestTwoAmbiguitiesAskedInTurn(t *testing.T) {
	f := newFixture(t)
	first := f.say(keqiao, "辅导企业 三；市县级示范站 两")
	if len(first.Buttons) != 2 {
		t.Fatalf("first question %q has %d buttons, want 2", first.Text, len(first.Buttons))
	}
	second := f.press(keqiao, first, 0) // 新增3
	if !second.Replace || len(second.Buttons) != 2 || !strings.Contains(second.Text, "两") {
		t.Fatalf("after the first answer: %+v, want the second question with its 2 buttons", second)
	}
	if got := f.totals(); len(got) != 0 {
		t.Errorf("recorded %v before the second answer", got)
	}
	done := f.press(keqiao, second, 1) // 累计共2
	if !strings.HasPrefix(done.Text, "✅ 已记录") || !done.Replace {
		t.Errorf("after the second answer: %+v", done)
	}
	if got, want := f.totals()["柯桥"], (data.Counts{0, 0, 2, 3}); got != want {
		t.Errorf("柯桥 totals = %v, want %v", got, want)
	}
}

// A question whose buttons could not be stored is not asked: the message
// is to be tried again, not answered with buttons that do not exist.
func TestQuestionNotStoredIsRetried(t *testing.T) {
	f := newFixture(t)
	db, err := sql.Open("sqlite3", f.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TRIGGER full BEFORE INSERT ON choices BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`); err != nil {
		t.Fatal(err)
	}
	r := f.say(keqiao, "辅导企业 三")
	if r.Text != msgNotSaved || !r.Retry || len(r.Buttons) != 0 {
		t.Errorf("reply = %+v, want %q with Retry", r, msgNotSaved)
	}
}

// Group rules for what is not text and for unknown commands; a private chat
// always gets an answer.
func TestNonTextAndUnknownCommands(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name   string
		m      Message
		prefix string // "" = no reply
	}{
		{name: "sticker in private", m: Message{UserID: keqiao, ChatID: keqiao}, prefix: "请发文字消息。\n填报请这样写"},
		{name: "sticker from a stranger in private", m: Message{UserID: stranger, ChatID: stranger}, prefix: "您还没有登记"},
		{name: "photo in a group", m: Message{UserID: keqiao, ChatID: group, Group: true}},
		{name: "sticker in reply to the bot", m: Message{UserID: keqiao, ChatID: group, Group: true, Addressed: true}, prefix: "请发文字消息。"},
		{name: "unknown command in private", m: Message{UserID: keqiao, ChatID: keqiao, Text: "/foo"}, prefix: "没有这个命令"},
		{name: "another bot's command in a group", m: Message{UserID: keqiao, ChatID: group, Group: true, Text: "/roll 6"}},
		{name: "unknown command named to this bot", m: Message{UserID: keqiao, ChatID: group, Group: true, Addressed: true, Text: "/foo "}, prefix: "没有这个命令"},
		{name: "known command in a group", m: Message{UserID: keqiao, ChatID: group, Group: true, Text: "/whoami"}, prefix: "用户ID 200"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.send(tc.m)
			if tc.prefix == "" && r.Text != "" {
				t.Errorf("reply %q, want none", r.Text)
			}
			if tc.prefix != "" && !strings.HasPrefix(r.Text, tc.prefix) {
				t.Errorf("reply %q, want prefix %q", r.Text, tc.prefix)
			}
		})
	}
}
