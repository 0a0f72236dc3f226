package dingtalk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/png"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"tsbot/bot"
	"tsbot/bot/dingtalk"
	"tsbot/bot/dingtalktest"
	"tsbot/bot/telegram"
	"tsbot/data"
	"tsbot/data/chart"
)

const (
	clientID = "dingtest0001"
	secret   = "S3cr3t-DingTalk-abcdefghijklmnop"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type fixture struct {
	t     testing.TB
	srv   *dingtalktest.Server
	store *data.Store
	c     data.Campaign
	logs  *syncBuffer
	log   *slog.Logger
	dt    *dingtalk.Adapter
	h     *bot.Handler
	db    string // the SQLite file
	// stop cancels the run and waits for it to return.
	stop func()
}

func sid(s string) *string { return &s }

func newFixture(t testing.TB, counties ...data.CountyConfig) *fixture {
	t.Helper()
	return newFixtureWith(t, nil, counties...)
}

// newFixtureWith is newFixture with the adapter's options changed by opt.
func newFixtureWith(t testing.TB, opt func(*dingtalk.Options), counties ...data.CountyConfig) *fixture {
	t.Helper()
	srv := dingtalktest.New(t, clientID, secret)
	c, err := data.DefaultConfig().BuildCampaign()
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := telegram.RedactLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), secret)
	dbPath := filepath.Join(t.TempDir(), "tsbot.db")
	store, err := data.Open(data.DatabaseConfig{Driver: "sqlite", Path: dbPath}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	err = store.SeedRoster(context.Background(), []data.Person{
		{Role: data.RoleCounty, County: "柯桥", Name: "张三", DingTalkID: sid("zhang3")},
		{Role: data.RoleCounty, County: "诸暨", Name: "李四", DingTalkID: sid("li4")},
		{UserID: 7001, Role: data.RoleAdmin, Name: "凌晓波", DingTalkID: sid("ling")},
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, srv: srv, store: store, c: c, logs: logs, log: log, db: dbPath}
	f.h = bot.NewHandler(store, &f.c, log)
	cfg := data.DingTalkConfig{Enabled: true, ClientID: clientID, ClientSecret: secret, RobotCode: clientID, APIURL: srv.URL,
		RobotWebhookURL: srv.URL + "/robot/send"}
	opts := dingtalk.Options{Counties: counties, OutboxEvery: 50 * time.Millisecond,
		OutboxBackoff: 20 * time.Millisecond, ReconnectMin: 20 * time.Millisecond, RetryEvery: 20 * time.Millisecond}
	if opt != nil {
		opt(&opts)
	}
	dt, err := dingtalk.New(cfg, f.h, log, opts)
	if err != nil {
		t.Fatal(err)
	}
	f.dt = dt
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { dt.Run(ctx); close(done) }()
	f.stop = func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return")
		}
	}
	t.Cleanup(func() {
		f.stop()
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the client secret is in the log")
		}
	})
	if !srv.WaitConnected(1, 10*time.Second) {
		t.Fatal("the adapter did not connect")
	}
	return f
}

// say sends a message and waits for its acknowledgement and the n-th reply
// on the conversation's session webhook.
func (f *fixture) say(m dingtalktest.Msg, n int) string {
	f.t.Helper()
	id := f.srv.Send(m)
	if !f.srv.WaitAck(id, 10*time.Second) {
		f.t.Fatalf("%q not acknowledged", m.Text)
	}
	conv := m.Conversation
	if conv == "" {
		conv = "cid-private-" + m.Staff
	}
	got := f.srv.WaitSent("/session/"+conv, n, 10*time.Second)
	if len(got) < n {
		f.t.Fatalf("%q: %d replies, want %d", m.Text, len(got), n)
	}
	return got[n-1].Text()
}

func (f *fixture) total(county string, ind data.Indicator) int {
	tot, err := f.store.Totals(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return tot[county][ind]
}

func TestUpdateAndReply(t *testing.T) {
	f := newFixture(t)
	text := f.say(dingtalktest.Msg{Staff: "zhang3", Nick: "三", Text: "柯桥 辅导企业 +3"}, 1)
	// The same words as on Telegram (the handler's reply), in markdown.
	for _, want := range []string{"✅ 已记录", "柯桥 辅导企业 3/20", "回复：撤销"} {
		if !strings.Contains(text, want) {
			t.Errorf("reply %q lacks %q", text, want)
		}
	}
	if got := f.total("柯桥", data.Tutoring); got != 3 {
		t.Errorf("total = %d, want 3", got)
	}
	es, _ := f.store.History(context.Background(), "", 5)
	if len(es) != 1 {
		t.Fatalf("entries: %+v", es)
	}
	b, err := f.store.Batch(context.Background(), es[0].BatchID)
	if err != nil || b.Channel != "dingtalk" || b.MsgID == "" || b.UserID != data.FirstDingTalkUserID {
		t.Errorf("batch: %+v, %v", b, err)
	}
	// The city status is laid out for a phone, no fixed-width columns.
	status := f.say(dingtalktest.Msg{Staff: "zhang3", Text: "进度"}, 2)
	if !strings.Contains(status, "企业专项辅导 3/120 还差117家  \n越城0/20 柯桥3/20 上虞0/20") {
		t.Errorf("status: %q", status)
	}
}

func TestSameReplyAsTelegram(t *testing.T) {
	f := newFixture(t)
	dt := f.say(dingtalktest.Msg{Staff: "li4", Text: "诸暨 市县级示范站 +2"}, 1)
	// The admin, on Telegram, sends the same update for another county.
	r := f.h.Handle(context.Background(), bot.Message{Channel: "telegram", UpdateID: 1, UserID: 7001, ChatID: 7001, MessageID: 1, Text: "诸暨 市县级示范站 +2"})
	tg, err := f.store.Outbox(context.Background(), "telegram", data.OutboxPending)
	if err != nil || len(tg) != 1 || !r.Stored {
		t.Fatalf("telegram outbox: %v, %v", tg, err)
	}
	o, _ := bot.DecodeOutgoing(tg[0].Body)
	// The same words, line by line (markdown breaks lines with two spaces),
	// each with the total after it.
	tgLines := strings.Split(o.Reply.Text, "\n")
	dtLines := strings.Split(dt, "  \n")
	if tgLines[0] != dtLines[0] || !strings.HasPrefix(tgLines[1], "诸暨 市县级站 4/7") || !strings.HasPrefix(dtLines[1], "诸暨 市县级站 2/7") {
		t.Errorf("dingtalk %q, telegram %q", dt, o.Reply.Text)
	}
	if got := f.total("诸暨", data.CityStation); got != 4 {
		t.Errorf("total = %d, want 4 (one from each channel)", got)
	}
}

func TestGroupWithAndWithoutMention(t *testing.T) {
	f := newFixture(t)
	id := f.srv.Send(dingtalktest.Msg{Staff: "zhang3", Conversation: "cidG", Group: true, Text: "大家好"})
	if !f.srv.WaitAck(id, 5*time.Second) {
		t.Fatal("not acknowledged")
	}
	text := f.say(dingtalktest.Msg{Staff: "zhang3", Conversation: "cidG", Group: true, At: true, Text: "辅导企业 +2"}, 1)
	if !strings.Contains(text, "柯桥 辅导企业 2/20") {
		t.Errorf("group reply: %q", text)
	}
	if n := len(f.srv.Sent("/session/cidG")); n != 1 {
		t.Errorf("%d group replies, want 1 (chatter is ignored)", n)
	}
	// No link buttons in a group: the words to type instead.
	if s := f.srv.Sent("/session/cidG")[0]; s.Body["msgtype"] != "markdown" {
		t.Errorf("group reply msgtype %v", s.Body["msgtype"])
	}
}

func TestStrangerIsToldTheirStaffID(t *testing.T) {
	f := newFixture(t)
	text := f.say(dingtalktest.Msg{Staff: "wang99", Text: "柯桥 辅导企业 +1"}, 1)
	if !strings.Contains(text, "wang99") || !strings.Contains(text, "/adduser dt:wang99") {
		t.Errorf("stranger: %q", text)
	}
	if got := f.total("柯桥", data.Tutoring); got != 0 {
		t.Errorf("a stranger wrote: %d", got)
	}
	// The admin adds them by staff id; then they may write.
	f.say(dingtalktest.Msg{Staff: "ling", Text: "/adduser dt:wang99 柯桥 王五"}, 1)
	text = f.say(dingtalktest.Msg{Staff: "wang99", Text: "柯桥 辅导企业 +1"}, 2)
	if !strings.Contains(text, "✅ 已记录") {
		t.Errorf("after /adduser: %q", text)
	}
}

func TestQuestionAnsweredByTypingAndByLink(t *testing.T) {
	f := newFixture(t)
	q := f.say(dingtalktest.Msg{Staff: "zhang3", Text: "柯桥 辅导企业 3"}, 1)
	if !strings.Contains(q, "回复 1 或 2") {
		t.Fatalf("question: %q", q)
	}
	card := f.srv.Sent("/session/cid-private-zhang3")[0].Body
	ac, _ := card["actionCard"].(map[string]any)
	btns, _ := ac["btns"].([]any)
	if card["msgtype"] != "actionCard" || len(btns) != 2 || !strings.HasPrefix(btns[0].(map[string]any)["actionURL"].(string), "dtmd://dingtalkclient/sendMessage?content=1") {
		t.Fatalf("private question card: %v", card)
	}
	// The link sends "1", as typing it does.
	text := f.say(dingtalktest.Msg{Staff: "zhang3", Text: "1"}, 2)
	if !strings.Contains(text, "✅ 已记录") {
		t.Errorf("answer: %q", text)
	}
	text = f.say(dingtalktest.Msg{Staff: "zhang3", Text: "回复 2"}, 3)
	if !strings.Contains(text, "已经回答过") {
		t.Errorf("second answer: %q", text)
	}
	if got := f.total("柯桥", data.Tutoring); got != 3 {
		t.Errorf("total = %d, want 3", got)
	}
	// In a group, someone else's answer changes nothing and says why.
	f.say(dingtalktest.Msg{Staff: "zhang3", Conversation: "cidG", Group: true, At: true, Text: "柯桥 辅导企业 5"}, 1)
	text = f.say(dingtalktest.Msg{Staff: "li4", Conversation: "cidG", Group: true, At: true, Text: "2"}, 2)
	if !strings.Contains(text, "只有发这条消息的人") {
		t.Errorf("someone else's answer: %q", text)
	}
	text = f.say(dingtalktest.Msg{Staff: "zhang3", Conversation: "cidG", Group: true, At: true, Text: "２"}, 3)
	if !strings.Contains(text, "✅ 已记录") || f.total("柯桥", data.Tutoring) != 5 {
		t.Errorf("group answer: %q, total %d", text, f.total("柯桥", data.Tutoring))
	}
}

func TestUndoByTyping(t *testing.T) {
	f := newFixture(t)
	f.say(dingtalktest.Msg{Staff: "zhang3", Text: "柯桥 辅导企业 +3"}, 1)
	f.say(dingtalktest.Msg{Staff: "zhang3", Text: "柯桥 辅导企业 +2"}, 2)
	text := f.say(dingtalktest.Msg{Staff: "zhang3", Text: "撤销"}, 3)
	if !strings.Contains(text, "已撤销") || f.total("柯桥", data.Tutoring) != 3 {
		t.Errorf("undo: %q, total %d", text, f.total("柯桥", data.Tutoring))
	}
	// A second 撤销 (the link pressed again) does not take back the one before.
	text = f.say(dingtalktest.Msg{Staff: "zhang3", Text: "撤销"}, 4)
	if !strings.Contains(text, "已经撤销过") || f.total("柯桥", data.Tutoring) != 3 {
		t.Errorf("second undo: %q, total %d", text, f.total("柯桥", data.Tutoring))
	}
}

func TestRepeatedFrameRecordedOnce(t *testing.T) {
	f := newFixture(t)
	m := dingtalktest.Msg{Staff: "zhang3", Text: "柯桥 辅导企业 +3", MsgID: "msgREPEAT"}
	f.say(m, 1)
	if err := f.srv.Resend(m); err != nil {
		t.Fatal(err)
	}
	if !f.srv.WaitAck("msgREPEAT", time.Second) || !waitFor(func() bool { return f.srv.Acks("msgREPEAT") == 2 }) {
		t.Fatal("repeat not acknowledged")
	}
	f.say(dingtalktest.Msg{Staff: "zhang3", Text: "进度"}, 2)
	if got := f.total("柯桥", data.Tutoring); got != 3 {
		t.Errorf("total = %d, want 3", got)
	}
	rs, _ := f.store.Receipts(context.Background())
	n := 0
	for _, r := range rs {
		if r.Key == "dingtalk:msgREPEAT" {
			n++
		}
	}
	if n != 1 || len(f.srv.Sent("/session/")) != 2 {
		t.Errorf("receipts %d, replies %d", n, len(f.srv.Sent("/session/")))
	}
}

func waitFor(cond func() bool) bool {
	for range 200 {
		if cond() {
			return true
		}
		time.Sleep(25 * time.Millisecond)
	}
	return false
}

func TestDroppedWebsocketReconnects(t *testing.T) {
	f := newFixture(t)
	f.say(dingtalktest.Msg{Staff: "zhang3", Text: "柯桥 辅导企业 +1"}, 1)
	f.srv.Drop()
	if !f.srv.WaitConnected(2, 15*time.Second) {
		t.Fatal("no reconnect after a drop")
	}
	f.srv.Disconnect()
	if !f.srv.WaitConnected(3, 15*time.Second) {
		t.Fatal("no reconnect after a disconnect")
	}
	f.srv.Ping()
	f.say(dingtalktest.Msg{Staff: "zhang3", Text: "柯桥 辅导企业 +1"}, 2)
	if got := f.total("柯桥", data.Tutoring); got != 2 {
		t.Errorf("total = %d, want 2: nothing acknowledged is lost", got)
	}
}

func TestForgedWebhookAndExpiredWebhookUseOpenAPI(t *testing.T) {
	f := newFixture(t)
	id := f.srv.Send(dingtalktest.Msg{Staff: "zhang3", Text: "进度", WebhookHost: "198.51.100.7:80"})
	f.srv.WaitAck(id, 5*time.Second)
	got := f.srv.WaitSent("/v1.0/robot/oToMessages/batchSend", 1, 10*time.Second)
	if len(got) != 1 || got[0].Body["userIds"].([]any)[0] != "zhang3" {
		t.Fatalf("reply through the OpenAPI: %v", got)
	}
	f.srv.Send(dingtalktest.Msg{Staff: "zhang3", Text: "进度", WebhookExpired: true, Conversation: "cid-other"})
	if got := f.srv.WaitSent("/v1.0/robot/oToMessages/batchSend", 2, 10*time.Second); len(got) != 2 {
		t.Errorf("expired webhook: %d OpenAPI sends", len(got))
	}
}

func TestReminderTokenExpiryAndQuota(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	chat, err := f.dt.PersonChat(ctx, "zhang3")
	if err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(time.Hour)
	if ok, err := f.dt.QueueReminder(ctx, "r1", chat, "柯桥：辅导企业还差20家", until); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if got := f.srv.WaitSent("/v1.0/robot/oToMessages/batchSend", 1, 10*time.Second); len(got) != 1 || !strings.Contains(got[0].Text(), "还差20家") {
		t.Fatalf("reminder: %v", got)
	}
	// The token expires mid-run: a new one is fetched, the send goes out.
	f.srv.ExpireTokens()
	f.dt.QueueReminder(ctx, "r2", chat, "第二条", until)
	if got := f.srv.WaitSent("/v1.0/robot/oToMessages/batchSend", 2, 10*time.Second); len(got) != 2 {
		t.Fatalf("after token expiry: %d sends", len(got))
	}
	if f.srv.TokenCalls() < 2 {
		t.Errorf("token calls %d", f.srv.TokenCalls())
	}
	// A 500 is retried; the quota error is not.
	f.srv.FailRobot(500, "ServerError", 1)
	f.dt.QueueReminder(ctx, "r3", chat, "第三条", until)
	if got := f.srv.WaitSent("/v1.0/robot/oToMessages/batchSend", 3, 10*time.Second); len(got) != 3 {
		t.Fatalf("after a 500: %d sends", len(got))
	}
	f.srv.FailRobot(403, "90020", 5)
	before := f.srv.RobotCalls()
	f.dt.QueueReminder(ctx, "r4", chat, "第四条", until)
	waitFor(func() bool { return strings.Contains(f.logs.String(), "90020") })
	time.Sleep(300 * time.Millisecond)
	if calls := f.srv.RobotCalls() - before; calls != 1 {
		t.Errorf("quota error: %d calls, want 1 (never retried)", calls)
	}
	failed, _ := f.store.Outbox(ctx, "dingtalk", data.OutboxFailed)
	if len(failed) != 1 {
		t.Errorf("failed outbox: %d", len(failed))
	}
}

func TestReminderToGroupRobot(t *testing.T) {
	srvSecret := "SECabcdef0123456789"
	var f *fixture
	// The robot's URL is on the fake, known once it runs: built in two steps.
	f = newFixture(t, data.CountyConfig{Name: "柯桥", RobotWebhook: "tok-kq", RobotSecret: srvSecret})
	f.srv.CustomRobot("tok-kq", srvSecret)
	ctx := context.Background()
	chat, err := f.dt.RobotChat(ctx, "柯桥")
	if err != nil {
		t.Fatal(err)
	}
	f.dt.QueueReminder(ctx, "g1", chat, "柯桥：辅导企业还差20家", time.Now().Add(time.Hour))
	got := f.srv.WaitSent("/robot/send", 1, 10*time.Second)
	if len(got) != 1 || !strings.Contains(got[0].Text(), "还差20家") || !strings.Contains(got[0].Query, "sign=") {
		t.Fatalf("group robot: %v", got)
	}
}

// TestExportAsFile: /export on DingTalk says what it is through the session
// webhook, uploads the spreadsheet as media and sends it as a file message
// (sampleFile) that opens as the workbook; a failed upload says so and what
// to do instead.
func TestExportAsFile(t *testing.T) {
	f := newFixture(t)
	m := dingtalktest.Msg{Staff: "ling", Nick: "凌晓波", Text: "/export"}
	if got := f.say(m, 1); !strings.Contains(got, "名单表格") {
		t.Fatalf("export reply: %q", got)
	}
	files := f.srv.WaitSent("/v1.0/robot/oToMessages/batchSend", 1, 10*time.Second)
	if len(files) != 1 || files[0].Body["msgKey"] != "sampleFile" {
		t.Fatalf("file message: %v", files)
	}
	if ids, _ := files[0].Body["userIds"].([]any); len(ids) != 1 || ids[0] != "ling" {
		t.Errorf("file sent to %v, want [ling]", files[0].Body["userIds"])
	}
	var param struct{ MediaID, FileName, FileType string }
	if err := json.Unmarshal([]byte(files[0].Body["msgParam"].(string)), &param); err != nil {
		t.Fatal(err)
	}
	ups := f.srv.Uploads()
	if len(ups) != 1 || ups[0].Type != "file" || ups[0].Name != param.FileName || param.FileType != "xlsx" {
		t.Fatalf("uploads %v, file message %+v", ups, param)
	}
	raw, ok := f.srv.Media(param.MediaID)
	if !ok {
		t.Fatalf("media %s was not uploaded", param.MediaID)
	}
	x, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the file is no workbook: %v", err)
	}
	defer x.Close()
	if sheets := x.GetSheetList(); len(sheets) < 4 {
		t.Errorf("sheets %v, want progress, the two lists and the record", sheets)
	}

	f.srv.FailUploads(1)
	f.say(m, 2)
	got := f.srv.WaitSent("/session/cid-private-ling", 3, 10*time.Second)
	if len(got) != 3 || !strings.Contains(got[2].Text(), "表格文件没能发出") || !strings.Contains(got[2].Text(), "Telegram") {
		t.Fatalf("after a failed upload: %d replies, last %q", len(got), got[len(got)-1].Text())
	}
	if n := len(f.srv.Sent("/v1.0/robot/oToMessages/batchSend")); n != 1 {
		t.Errorf("%d file messages after a failed upload, want still 1", n)
	}
}

// TestChartAsFile: on DingTalk the /chart reply says what it is, and the
// picture follows as a PNG file message that decodes.
func TestChartAsFile(t *testing.T) {
	if _, err := chart.LoadFont(""); errors.Is(err, chart.ErrNoFont) {
		t.Skipf("no CJK font installed (apt-get install %s): %v", chart.FontPackage, err)
	}
	f := newFixture(t)
	got := f.say(dingtalktest.Msg{Staff: "ling", Nick: "凌晓波", Text: "/chart"}, 1)
	if !strings.Contains(got, "进度图") {
		t.Fatalf("chart reply: %q", got)
	}
	files := f.srv.WaitSent("/v1.0/robot/oToMessages/batchSend", 1, 10*time.Second)
	if len(files) != 1 || files[0].Body["msgKey"] != "sampleFile" {
		t.Fatalf("file message: %v", files)
	}
	var param struct{ MediaID, FileName, FileType string }
	if err := json.Unmarshal([]byte(files[0].Body["msgParam"].(string)), &param); err != nil {
		t.Fatal(err)
	}
	raw, ok := f.srv.Media(param.MediaID)
	if !ok || param.FileType != "png" {
		t.Fatalf("file %+v, uploaded %v", param, ok)
	}
	if _, err := png.Decode(bytes.NewReader(raw)); err != nil {
		t.Errorf("the file is not a PNG: %v", err)
	}
}
