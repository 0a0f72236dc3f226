package telegram_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/xuri/excelize/v2"

	"tsbot/bot"
	"tsbot/bot/telegram"
	"tsbot/bot/telegramtest"
	"tsbot/data"
	"tsbot/data/testkit"
)

var (
	alice = models.User{ID: 1001, FirstName: "Alice"} // 柯桥 staff
	bob   = models.User{ID: 1002, FirstName: "Bob"}   // 诸暨 staff
)

// fixture is a real store in a temp dir, the fake Bot API, and the adapter.
type fixture struct {
	t        testing.TB
	srv      *telegramtest.Server
	store    *data.Store
	campaign data.Campaign
	logs     *testkit.Buffer
	log      *slog.Logger
	dbPath   string
	cfg      data.TelegramConfig
	opts     telegram.Options

	cancel context.CancelFunc
	done   chan error
	tg     *telegram.Adapter
}

func fastOptions() telegram.Options {
	// No rate limits (the zero gaps) and quick retries: the policy is the
	// same, only the waits are short.
	return telegram.Options{
		Limits:       telegram.SendLimits{Attempts: 4, Backoff: 20 * time.Millisecond, FloodAttempts: 3},
		RetryEvery:   50 * time.Millisecond,
		PollTimeout:  2 * time.Second,
		ShutdownWait: 5 * time.Second,
	}
}

func newFixture(t testing.TB, people ...data.Person) *fixture {
	t.Helper()
	srv := telegramtest.New(t)
	campaign, err := data.DefaultConfig().BuildCampaign()
	if err != nil {
		t.Fatal(err)
	}
	logs := &testkit.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	dbPath := filepath.Join(t.TempDir(), "tsbot.db")
	store, err := data.Open(data.DatabaseConfig{Driver: "sqlite", Path: dbPath}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if len(people) == 0 {
		people = []data.Person{
			{UserID: alice.ID, Role: data.RoleCounty, County: "柯桥", Name: "Alice"},
			{UserID: bob.ID, Role: data.RoleCounty, County: "诸暨", Name: "Bob"},
		}
	}
	if err := store.SeedRoster(context.Background(), people); err != nil {
		t.Fatal(err)
	}
	return &fixture{
		t: t, srv: srv, store: store, campaign: campaign, logs: logs, log: log, dbPath: dbPath,
		cfg:  data.TelegramConfig{Token: telegramtest.Token, APIURL: srv.URL(), Mode: "polling"},
		opts: fastOptions(),
	}
}

// start runs the adapter until stop or the end of the test.
func (f *fixture) start() {
	f.t.Helper()
	h := bot.NewHandler(f.store, &f.campaign, f.log)
	tg, err := telegram.New(f.cfg, h, f.log, f.opts)
	if err != nil {
		f.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.tg, f.cancel, f.done = tg, cancel, make(chan error, 1)
	go func() { f.done <- tg.Run(ctx) }()
	f.t.Cleanup(f.stop)
}

// stop cancels the run and waits for it to return.
func (f *fixture) stop() {
	if f.cancel == nil {
		return
	}
	f.cancel()
	select {
	case err := <-f.done:
		if err != nil {
			f.t.Errorf("Run: %v", err)
		}
	case <-time.After(15 * time.Second):
		f.t.Errorf("Run did not return after cancel")
	}
	f.cancel = nil
}

func waitCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// sent returns the successful sendMessage calls to chat.
func (f *fixture) sent(chatID int64) []telegramtest.Call {
	var out []telegramtest.Call
	for _, c := range f.srv.CallsTo("sendMessage") {
		if c.Status == http.StatusOK && c.Params["chat_id"] == strconv.FormatInt(chatID, 10) {
			out = append(out, c)
		}
	}
	return out
}

// waitReply waits for the n-th successful message to chat (1-based).
func (f *fixture) waitReply(t testing.TB, chatID int64, n int) telegramtest.Call {
	t.Helper()
	var got []telegramtest.Call
	err := f.srv.Wait(waitCtx(t), func() bool {
		got = f.sent(chatID)
		return len(got) >= n
	})
	if err != nil {
		t.Fatalf("waiting for reply %d in chat %d: %v (have %d: %v)", n, chatID, err, len(got), texts(got))
	}
	return got[n-1]
}

// edits returns the successful editMessageText calls in chat.
func (f *fixture) edits(chatID int64) []telegramtest.Call {
	var out []telegramtest.Call
	for _, c := range f.srv.CallsTo("editMessageText") {
		if c.Status == http.StatusOK && c.Params["chat_id"] == strconv.FormatInt(chatID, 10) {
			out = append(out, c)
		}
	}
	return out
}

// waitEdit waits for the n-th successful edit of a message in chat (1-based).
func (f *fixture) waitEdit(t testing.TB, chatID int64, n int) telegramtest.Call {
	t.Helper()
	var got []telegramtest.Call
	if err := f.srv.Wait(waitCtx(t), func() bool { got = f.edits(chatID); return len(got) >= n }); err != nil {
		t.Fatalf("waiting for edit %d in chat %d: %v (have %v)", n, chatID, err, texts(got))
	}
	return got[n-1]
}

// alerts returns the button answers shown as a pop-up (show_alert).
func (f *fixture) alerts() []telegramtest.Call {
	var out []telegramtest.Call
	for _, c := range f.srv.CallsTo("answerCallbackQuery") {
		if c.Status == http.StatusOK && c.Params["show_alert"] == "true" {
			out = append(out, c)
		}
	}
	return out
}

// waitAlert waits for the n-th pop-up answer to a press (1-based).
func (f *fixture) waitAlert(t testing.TB, n int) telegramtest.Call {
	t.Helper()
	var got []telegramtest.Call
	if err := f.srv.Wait(waitCtx(t), func() bool { got = f.alerts(); return len(got) >= n }); err != nil {
		t.Fatalf("waiting for alert %d: %v (have %v)", n, err, texts(got))
	}
	return got[n-1]
}

func texts(calls []telegramtest.Call) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c.Params["text"])
	}
	return out
}

func (f *fixture) done_(county string, ind data.Indicator) int {
	f.t.Helper()
	tot, err := f.store.Totals(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return tot[county][ind]
}

func buttons(c telegramtest.Call) []models.InlineKeyboardButton {
	if c.Message == nil || c.Message.ReplyMarkup == nil {
		return nil
	}
	var out []models.InlineKeyboardButton
	for _, row := range c.Message.ReplyMarkup.InlineKeyboard {
		out = append(out, row...)
	}
	return out
}

func quoted(c telegramtest.Call) int {
	var rp models.ReplyParameters
	if raw := c.Params["reply_parameters"]; raw != "" {
		_ = json.Unmarshal([]byte(raw), &rp)
	}
	return rp.MessageID
}

func TestTelegramPrivateUpdateAndReply(t *testing.T) {
	f := newFixture(t)
	f.start()
	chat := telegramtest.PrivateChat(alice)
	_, msgID := f.srv.SendText(alice, chat, "柯桥 辅导企业 +3")
	r := f.waitReply(t, chat.ID, 1)
	if !strings.HasPrefix(r.Params["text"], "✅ 已记录") {
		t.Errorf("reply = %q, want ✅ 已记录…", r.Params["text"])
	}
	if b := buttons(r); len(b) != 1 || b[0].Text != "撤销" || !strings.HasPrefix(b[0].CallbackData, "u:") {
		t.Errorf("buttons = %+v, want one 撤销 button", b)
	}
	if q := quoted(r); q != 0 {
		t.Errorf("private reply quotes message %d (of %d), want no quote", q, msgID)
	}
	if got := f.done_("柯桥", data.Tutoring); got != 3 {
		t.Errorf("柯桥 tutoring = %d, want 3", got)
	}
	// The default menu, county staff's: every non-admin command, in Chinese.
	menu, _ := f.srv.Menu("default")
	want := 0
	for _, c := range bot.Commands {
		if !c.Admin {
			want++
		}
	}
	if len(menu) != want || menu[0].Command != "status" || menu[0].Description != "查看进度：全市或一个区县" {
		t.Errorf("menu = %+v", menu)
	}
	// Graceful stop acknowledges what was handled.
	f.stop()
	if err := f.srv.WaitPending(waitCtx(t), 0); err != nil {
		t.Errorf("updates left unconfirmed after a graceful stop: %d", f.srv.Pending())
	}
}

func TestTelegramGroupChat(t *testing.T) {
	f := newFixture(t)
	f.start()
	group := telegramtest.GroupChat(-4001, "柯桥工作群")
	tests := []struct {
		name  string
		text  string
		reply string // prefix of the reply; "" = no reply
	}{
		{name: "chatter is ignored", text: "明天下午开会", reply: ""},
		{name: "another bot's command is ignored", text: "/status@OtherBot", reply: ""},
		{name: "mention", text: "@" + telegramtest.BotUsername + " 柯桥 辅导企业 +2", reply: "✅ 已记录"},
		{name: "update without mention (privacy mode off)", text: "柯桥 辅导企业 +1", reply: "✅ 已记录"},
		{name: "mentioned chatter gets the hint", text: "@" + telegramtest.BotUsername + " 你好", reply: "填报请这样写"},
		// İ is longer in lower case: a mention after it once cut the text past its end.
		{name: "mention after letters that lower to more bytes", text: "İİİİİİİİ @" + strings.ToUpper(telegramtest.BotUsername) + " 你好", reply: "填报请这样写"},
		{name: "own command", text: "/status@" + telegramtest.BotUsername + " 柯桥", reply: "柯桥"},
		{name: "plain command", text: "/whoami", reply: "用户ID 1001"},
	}
	n := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, msgID := f.srv.SendText(alice, group, tt.text)
			// A marker after each message: replies come in order, so when
			// the marker's reply is there, the message's would be too.
			_, markID := f.srv.SendText(alice, group, "/whoami")
			if tt.reply != "" {
				n++
				r := f.waitReply(t, group.ID, n)
				if !strings.HasPrefix(r.Params["text"], tt.reply) {
					t.Errorf("reply = %q, want prefix %q", r.Params["text"], tt.reply)
				}
				if q := quoted(r); q != msgID {
					t.Errorf("reply quotes %d, want %d", q, msgID)
				}
			}
			n++
			if r := f.waitReply(t, group.ID, n); quoted(r) != markID {
				t.Errorf("unexpected reply %q (quotes %d, marker is %d)", r.Params["text"], quoted(r), markID)
			}
		})
	}
	// A reply to the bot's message is addressed to it.
	last := f.sent(group.ID)
	_, msgID := f.srv.ReplyText(alice, group, last[len(last)-1].Message.ID, "好的")
	n++
	if r := f.waitReply(t, group.ID, n); quoted(r) != msgID || !strings.HasPrefix(r.Params["text"], "填报请这样写") {
		t.Errorf("reply to the bot: got %q quoting %d", r.Params["text"], quoted(r))
	}
	if got := f.done_("柯桥", data.Tutoring); got != 3 {
		t.Errorf("柯桥 tutoring = %d, want 3", got)
	}
}

func TestTelegramEdit(t *testing.T) {
	f := newFixture(t)
	f.start()
	chat := telegramtest.PrivateChat(alice)
	_, msgID := f.srv.SendText(alice, chat, "柯桥 辅导企业 +3")
	f.waitReply(t, chat.ID, 1)

	f.srv.EditText(alice, chat, msgID, "柯桥 辅导企业 +5")
	if r := f.waitReply(t, chat.ID, 2); !strings.HasPrefix(r.Params["text"], "✏️ 已按修改后的消息更正") {
		t.Errorf("edit reply = %q", r.Params["text"])
	}
	if got := f.done_("柯桥", data.Tutoring); got != 5 {
		t.Errorf("after edit: %d, want 5", got)
	}

	f.srv.EditText(alice, chat, msgID, "柯桥 辅导企业 +几")
	r := f.waitReply(t, chat.ID, 3)
	if !strings.HasPrefix(r.Params["text"], "↩️") || !strings.Contains(r.Params["text"], "没看懂数量") {
		t.Errorf("unparseable edit reply = %q, want the revert and the parse error", r.Params["text"])
	}
	if got := f.done_("柯桥", data.Tutoring); got != 0 {
		t.Errorf("after unparseable edit: %d, want 0", got)
	}

	f.srv.EditText(alice, chat, msgID, "柯桥 辅导企业 +4")
	f.waitReply(t, chat.ID, 4)
	if got := f.done_("柯桥", data.Tutoring); got != 4 {
		t.Errorf("after editing back: %d, want 4", got)
	}
}

func TestTelegramUndoButton(t *testing.T) {
	f := newFixture(t)
	f.start()
	chat := telegramtest.PrivateChat(alice)
	f.srv.SendText(alice, chat, "柯桥 辅导企业 +3")
	r := f.waitReply(t, chat.ID, 1)
	undo := buttons(r)[0].CallbackData

	// Both presses wait in Telegram's queue while the bot is down, so the
	// second one arrives after the first has already undone the batch.
	f.stop()
	f.srv.PressButton(alice, chat, r.Message.ID, undo)
	f.srv.PressButton(alice, chat, r.Message.ID, undo)
	f.start()

	// The first press turns the "✅ 已记录" into "↩️ 已撤销" with the
	// totals, its button gone; the second is told so in a pop-up.
	first := f.waitEdit(t, chat.ID, 1)
	if first.Message.ID != r.Message.ID || !strings.HasPrefix(first.Params["text"], "↩️ 已撤销\n柯桥 辅导企业 0/20 还差20家") {
		t.Errorf("first press edited message %d to %q, want %d to ↩️ 已撤销 with the totals", first.Message.ID, first.Params["text"], r.Message.ID)
	}
	if a := f.waitAlert(t, 1); !strings.Contains(a.Params["text"], "已经撤销过") {
		t.Errorf("second press: alert %q", a.Params["text"])
	}
	if got := f.done_("柯桥", data.Tutoring); got != 0 {
		t.Errorf("after undo: %d, want 0", got)
	}
	if _, err := f.srv.WaitCalls(waitCtx(t), "answerCallbackQuery", 2); err != nil {
		t.Fatal(err)
	}
	if m, _ := f.srv.Message(chat.ID, r.Message.ID); m.ReplyMarkup != nil || !strings.HasPrefix(m.Text, "↩️ 已撤销") {
		t.Errorf("the undone reply reads %q with keyboard %+v", m.Text, m.ReplyMarkup)
	}
	f.stop()
	if n := len(f.sent(chat.ID)); n != 1 {
		t.Errorf("messages sent = %d, want 1 (the presses edit it): %v", n, texts(f.sent(chat.ID)))
	}
}

func TestTelegramUndoButtonBySomeoneElse(t *testing.T) {
	f := newFixture(t)
	f.start()
	group := telegramtest.GroupChat(-4002, "全市群")
	f.srv.SendText(alice, group, "柯桥 辅导企业 +3")
	r := f.waitReply(t, group.ID, 1)
	f.srv.PressButton(bob, group, r.Message.ID, buttons(r)[0].CallbackData)
	// A pop-up for Bob alone, not a message in the group.
	if got := f.waitAlert(t, 1); !strings.Contains(got.Params["text"], "只能撤销您自己") {
		t.Errorf("bob's press: %q", got.Params["text"])
	}
	f.srv.SendText(alice, group, "/whoami") // replies come in order: this one's is the next
	if got := f.waitReply(t, group.ID, 2); !strings.HasPrefix(got.Params["text"], "用户ID") {
		t.Errorf("a refusal was posted in the group: %q", got.Params["text"])
	}
	if n := f.done_("柯桥", data.Tutoring); n != 3 {
		t.Errorf("柯桥 tutoring = %d, want 3", n)
	}
	if m, _ := f.srv.Message(group.ID, r.Message.ID); m.ReplyMarkup == nil {
		t.Error("keyboard removed after a refused press")
	}
}

func TestTelegramAmbiguityButton(t *testing.T) {
	f := newFixture(t)
	f.start()
	chat := telegramtest.PrivateChat(alice)
	f.srv.SendText(alice, chat, "柯桥 辅导企业 +5")
	f.waitReply(t, chat.ID, 1)
	f.srv.SendText(alice, chat, "柯桥 辅导企业 3")
	q := f.waitReply(t, chat.ID, 2)
	bs := buttons(q)
	if len(bs) != 2 || bs[0].Text != "新增3" || bs[1].Text != "累计共3" {
		t.Fatalf("buttons = %+v, want 新增3 and 累计共3", bs)
	}
	f.stop()
	f.srv.PressButton(alice, chat, q.Message.ID, bs[0].CallbackData)
	f.srv.PressButton(alice, chat, q.Message.ID, bs[0].CallbackData)
	f.srv.PressButton(alice, chat, q.Message.ID, bs[1].CallbackData)
	f.start()
	// The chosen reading replaces the question; the later presses are
	// told in a pop-up.
	first := f.waitEdit(t, chat.ID, 1)
	if first.Message.ID != q.Message.ID || !strings.HasPrefix(first.Params["text"], "✅ 已记录\n柯桥 辅导企业 8/20 还差12家") {
		t.Errorf("first press edited %d to %q, want the question %d", first.Message.ID, first.Params["text"], q.Message.ID)
	}
	if m, _ := f.srv.Message(chat.ID, q.Message.ID); len(buttons(telegramtest.Call{Message: &m})) != 1 {
		t.Errorf("the answered question keeps buttons %+v, want the 撤销 of the result", m.ReplyMarkup)
	}
	for i := 1; i <= 2; i++ {
		if a := f.waitAlert(t, i); !strings.HasPrefix(a.Params["text"], "这个问题已经回答过") {
			t.Errorf("press %d: %q", i+1, a.Params["text"])
		}
	}
	if n := len(f.sent(chat.ID)); n != 2 {
		t.Errorf("messages = %d, want 2 (the update and the question): %v", n, texts(f.sent(chat.ID)))
	}
	if n := f.done_("柯桥", data.Tutoring); n != 8 {
		t.Errorf("柯桥 tutoring = %d, want 5+3", n)
	}
}

func TestTelegramOutgoingFaults(t *testing.T) {
	f := newFixture(t)
	f.start()
	chat := telegramtest.PrivateChat(alice)
	f.srv.SendText(alice, chat, "/whoami") // learn that the bot is polling
	f.waitReply(t, chat.ID, 1)

	t.Run("429 waits retry_after", func(t *testing.T) {
		f.srv.FailNext("sendMessage", telegramtest.TooManyRequests(1))
		before := len(f.srv.CallsTo("sendMessage"))
		start := time.Now()
		f.srv.SendText(alice, chat, "/whoami")
		f.waitReply(t, chat.ID, 2)
		if d := time.Since(start); d < 900*time.Millisecond {
			t.Errorf("retried after %v, before retry_after", d)
		}
		if n := len(f.srv.CallsTo("sendMessage")) - before; n != 2 {
			t.Errorf("sendMessage calls = %d, want 2", n)
		}
	})
	t.Run("500 then success", func(t *testing.T) {
		f.srv.FailNext("sendMessage", telegramtest.InternalError())
		f.srv.FailNext("sendMessage", telegramtest.BadGateway())
		f.srv.FailNext("sendMessage", telegramtest.Dropped())
		f.srv.SendText(alice, chat, "/whoami")
		f.waitReply(t, chat.ID, 3)
	})
	t.Run("403 is skipped and the write stands", func(t *testing.T) {
		before := len(f.srv.CallsTo("sendMessage"))
		f.srv.FailNext("sendMessage", telegramtest.Blocked())
		f.srv.SendText(alice, chat, "柯桥 辅导企业 +2")
		err := f.srv.Wait(waitCtx(t), func() bool {
			for _, c := range f.srv.CallsTo("sendMessage")[before:] {
				if c.Status == http.StatusForbidden {
					return true
				}
			}
			return false
		})
		if err != nil {
			t.Fatal(err)
		}
		// Other chats are served as before.
		bobChat := telegramtest.PrivateChat(bob)
		f.srv.SendText(bob, bobChat, "/whoami")
		f.waitReply(t, bobChat.ID, 1)
		f.srv.SendText(alice, chat, "/whoami")
		f.waitReply(t, chat.ID, 4)
		var toAlice int
		for _, c := range f.srv.CallsTo("sendMessage")[before:] {
			if c.Params["chat_id"] == "1001" {
				toAlice++
			}
		}
		if toAlice != 2 {
			t.Errorf("sendMessage to alice = %d, want 2 (the refused one not retried)", toAlice)
		}
		if n := f.done_("柯桥", data.Tutoring); n != 2 {
			t.Errorf("柯桥 tutoring = %d, want 2", n)
		}
	})
	t.Run("getUpdates failures", func(t *testing.T) {
		before := len(f.srv.CallsTo("getUpdates"))
		f.srv.FailNext("getUpdates", telegramtest.Dropped())
		f.srv.FailNext("getUpdates", telegramtest.InternalError())
		f.srv.FailNext("getUpdates", telegramtest.BadGateway())
		// The poll open now is not faulted; the three after it are.
		err := f.srv.Wait(waitCtx(t), func() bool {
			failed := 0
			for _, c := range f.srv.CallsTo("getUpdates")[before:] {
				if c.Error != "" {
					failed++
				}
			}
			return failed == 3
		})
		if err != nil {
			t.Fatal(err)
		}
		f.srv.SendText(alice, chat, "/whoami")
		f.waitReply(t, chat.ID, 5)
	})
	f.stop()
	logs := f.logs.String()
	if strings.Contains(logs, telegramtest.Token) || strings.Contains(logs, strings.SplitN(telegramtest.Token, ":", 2)[1]) {
		t.Errorf("the token is in the log:\n%s", logs)
	}
	if !strings.Contains(logs, "getUpdates failed") || !strings.Contains(logs, "retry_after") {
		t.Errorf("failures were not logged:\n%s", logs)
	}
}

func TestRedactLogger(t *testing.T) {
	var buf bytes.Buffer
	log := telegram.RedactLogger(slog.New(slog.NewJSONHandler(&buf, nil)), telegramtest.Token)
	err := fmt.Errorf("wrapped: %w", &net.OpError{Op: "dial", Err: fmt.Errorf("Post \"http://x/bot%s/sendMessage\": refused", telegramtest.Token)})
	log.With(slog.String("url", "/bot"+telegramtest.Token)).Error("failed "+telegramtest.Token,
		slog.Any("err", err), slog.Group("g", slog.String("s", telegramtest.Token)))
	if strings.Contains(buf.String(), telegramtest.Token) {
		t.Errorf("token in %s", buf.String())
	}
	if strings.Count(buf.String(), "<token>") != 4 {
		t.Errorf("want 4 redactions in %s", buf.String())
	}
}

func TestTelegramManyUsersAtOnce(t *testing.T) {
	const users, each = 20, 10
	counties := []string{"越城", "柯桥", "上虞", "诸暨", "新昌", "嵊州"}
	var people []data.Person
	for i := range users {
		people = append(people, data.Person{UserID: int64(2000 + i), Role: data.RoleCounty, County: counties[i%len(counties)]})
	}
	f := newFixture(t, people...)
	f.start()
	want := map[string]int{}
	var wg sync.WaitGroup
	for i := range users {
		u := models.User{ID: int64(2000 + i), FirstName: "U" + strconv.Itoa(i)}
		want[counties[i%len(counties)]] += each * (i%3 + 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				f.srv.SendText(u, telegramtest.PrivateChat(u), fmt.Sprintf("辅导企业 +%d", i%3+1))
			}
		}()
	}
	wg.Wait()
	for i := range users {
		f.waitReply(t, int64(2000+i), each)
	}
	tot, err := f.store.Totals(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for c, n := range want {
		if tot[c][data.Tutoring] != n {
			t.Errorf("%s = %d, want %d", c, tot[c][data.Tutoring], n)
		}
	}
	for _, c := range f.srv.CallsTo("sendMessage") {
		if !strings.HasPrefix(c.Params["text"], "✅ 已记录") {
			t.Errorf("reply %q", c.Params["text"])
		}
	}
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestTelegramWebhook(t *testing.T) {
	f := newFixture(t)
	addr := freeAddr(t)
	f.cfg.Mode = "webhook"
	f.cfg.WebhookListen = addr
	f.cfg.WebhookURL = "http://" + addr + "/tg/hook"
	f.cfg.WebhookSecret = "s3cret_token-1"
	f.start()
	if err := f.srv.Wait(waitCtx(t), func() bool { u, _ := f.srv.Webhook(); return u != "" }); err != nil {
		t.Fatal(err)
	}
	if u, s := f.srv.Webhook(); u != f.cfg.WebhookURL || s != f.cfg.WebhookSecret {
		t.Errorf("webhook = %q %q", u, s)
	}
	chat := telegramtest.PrivateChat(alice)
	// In webhook mode the fake returns once the webhook answered 2xx, and
	// the bot answers only after the commit: the write is already there.
	f.srv.SendText(alice, chat, "柯桥 辅导企业 +3")
	if f.srv.Pending() != 0 {
		t.Errorf("update not accepted")
	}
	if n := f.done_("柯桥", data.Tutoring); n != 3 {
		t.Errorf("柯桥 tutoring = %d right after the webhook answered, want 3", n)
	}
	r := f.waitReply(t, chat.ID, 1)
	f.srv.PressButton(alice, chat, r.Message.ID, buttons(r)[0].CallbackData)
	if n := f.done_("柯桥", data.Tutoring); n != 0 {
		t.Errorf("柯桥 tutoring = %d after undo, want 0", n)
	}

	for _, tt := range []struct {
		name, secret string
		want         int
	}{
		{name: "no secret", secret: "", want: http.StatusUnauthorized},
		{name: "wrong secret", secret: "nope", want: http.StatusUnauthorized},
		{name: "right secret, not an update", secret: f.cfg.WebhookSecret, want: http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, f.cfg.WebhookURL, strings.NewReader(`{"x":1}`))
			if tt.secret != "" {
				req.Header.Set("X-Telegram-Bot-Api-Secret-Token", tt.secret)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

// TestSenderSend is the sender as the reminder jobs use it.
func TestSenderSend(t *testing.T) {
	f := newFixture(t)
	f.start()
	group := telegramtest.GroupChat(-4003, "新昌工作群")
	f.srv.AddChat(group)
	long := strings.Repeat("提醒：请按时报送名单。\n", 600) // over 4096 characters
	if err := f.tg.Sender().Send(waitCtx(t), group.ID, long); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := f.sent(group.ID)
	// The line break at each cut is the break between two messages.
	if len(got) < 2 || strings.Join(texts(got), "\n") != strings.TrimRight(long, "\n") {
		t.Errorf("long text sent as %d messages, not split losslessly", len(got))
	}
	for _, c := range got {
		if n := len([]rune(c.Params["text"])); n > 4096 {
			t.Errorf("a message of %d characters", n)
		}
	}
	if err := f.tg.Sender().Send(waitCtx(t), -999, "无此群"); err == nil {
		t.Error("Send to an unknown chat: no error")
	}
	f.srv.FailNext("sendMessage", telegramtest.Blocked())
	if err := f.tg.Sender().Send(waitCtx(t), group.ID, "被移出群"); err == nil || strings.Contains(err.Error(), telegramtest.Token) {
		t.Errorf("Send after 403: %v", err)
	}
}

// /export through Telegram: the spreadsheet arrives as a sendDocument whose
// bytes open as the same workbook the export package writes.
func TestTelegramExportSendsWorkbook(t *testing.T) {
	f := newFixture(t)
	f.start()
	chat := telegramtest.PrivateChat(alice)
	f.srv.SendText(alice, chat, "柯桥 辅导企业 +2 甲纺织有限公司、乙印染有限公司")
	f.waitReply(t, chat.ID, 1)
	f.srv.SendText(alice, chat, "/export")
	calls, err := f.srv.WaitCalls(waitCtx(t), "sendDocument", 1)
	if err != nil {
		t.Fatal(err)
	}
	doc, ok := calls[0].Files["document"]
	if !ok || calls[0].Status != http.StatusOK {
		t.Fatalf("sendDocument call = %+v", calls[0])
	}
	if !strings.HasSuffix(doc.Name, ".xlsx") || !strings.Contains(doc.Name, "柯桥") {
		t.Errorf("file name = %q, want 柯桥's .xlsx", doc.Name)
	}
	// The document says what it is, in its caption, and no message follows
	// it; the chat saw "sending a file" while it was built.
	if c := calls[0].Params["caption"]; !strings.HasPrefix(c, "📎 柯桥名单表格") {
		t.Errorf("caption = %q, want 📎 柯桥名单表格…", c)
	}
	actions := f.srv.CallsTo("sendChatAction")
	if len(actions) != 1 || actions[0].Params["action"] != "upload_document" || actions[0].Status != http.StatusOK {
		t.Errorf("sendChatAction calls = %+v, want one upload_document", actions)
	}
	f.srv.SendText(alice, chat, "/whoami")
	if r := f.waitReply(t, chat.ID, 2); !strings.HasPrefix(r.Params["text"], "用户ID") {
		t.Errorf("after the document, a message %q", r.Params["text"])
	}
	wb, err := excelize.OpenReader(bytes.NewReader(doc.Data))
	if err != nil {
		t.Fatalf("the document is not a workbook: %v", err)
	}
	defer wb.Close()
	rows, err := wb.GetRows("专项辅导名单")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rows {
		for _, cell := range r {
			if strings.HasSuffix(cell, "有限公司") {
				names = append(names, cell)
			}
		}
	}
	if fmt.Sprint(names) != "[甲纺织有限公司 乙印染有限公司]" {
		t.Errorf("tutoring list in the sent workbook = %v", names)
	}
}

// While the database refuses writes, an update is not acknowledged: the
// sender is told once not to resend, and when the database is back the bot
// records it by itself, once. Other chats are served meanwhile.
func TestTelegramDatabaseDownHoldsUpdatesBack(t *testing.T) {
	f := newFixture(t)
	db, err := sql.Open("sqlite3", f.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TRIGGER down BEFORE INSERT ON entries BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`); err != nil {
		t.Fatal(err)
	}
	f.start()
	aliceChat, bobChat := telegramtest.PrivateChat(alice), telegramtest.PrivateChat(bob)
	f.srv.SendText(alice, aliceChat, "柯桥 辅导企业 +3")
	if r := f.waitReply(t, aliceChat.ID, 1); !strings.Contains(r.Params["text"], "请勿重发") {
		t.Fatalf("first reply = %q, want the hold-back notice", r.Params["text"])
	}
	f.srv.SendText(bob, bobChat, "/whoami") // a read: served while the write waits
	f.waitReply(t, bobChat.ID, 1)
	// Several retries go by: the update stays unacknowledged and unrecorded.
	if _, err := f.srv.WaitCalls(waitCtx(t), "getUpdates", 6); err != nil {
		t.Fatal(err)
	}
	if f.srv.Pending() == 0 {
		t.Error("the update was acknowledged although it was not stored")
	}
	if got := f.done_("柯桥", data.Tutoring); got != 0 {
		t.Fatalf("total = %d while the database is down", got)
	}
	if _, err := db.Exec(`DROP TRIGGER down`); err != nil {
		t.Fatal(err)
	}
	r := f.waitReply(t, aliceChat.ID, 2)
	if !strings.HasPrefix(r.Params["text"], "✅ 已记录") {
		t.Errorf("reply after recovery = %q", r.Params["text"])
	}
	f.stop()
	if got := f.done_("柯桥", data.Tutoring); got != 3 {
		t.Errorf("total = %d, want 3", got)
	}
	if n := len(f.sent(aliceChat.ID)); n != 2 {
		t.Errorf("alice got %d messages, want the notice and the confirmation: %v", n, texts(f.sent(aliceChat.ID)))
	}
	if n := len(f.sent(bobChat.ID)); n != 1 {
		t.Errorf("bob got %d replies, want 1 (no repeat when the batch came back)", n)
	}
}

// A menu per role: staff the default one, groups a short one, each admin's
// and viewer's private chat its own; refreshed when the roster changes, and
// for someone who had not written to the bot yet, at their first message.
func TestTelegramMenusPerRole(t *testing.T) {
	erin := models.User{ID: 1005, FirstName: "Erin"}   // admin
	carol := models.User{ID: 1003, FirstName: "Carol"} // viewer
	dave := models.User{ID: 1004, FirstName: "Dave"}   // added as a viewer
	frank := models.User{ID: 1006, FirstName: "Frank"} // added as an admin, has never written
	f := newFixture(t,
		data.Person{UserID: alice.ID, Role: data.RoleCounty, County: "柯桥", Name: "Alice"},
		data.Person{UserID: erin.ID, Role: data.RoleAdmin, Name: "Erin"},
		data.Person{UserID: carol.ID, Role: data.RoleViewer, Name: "Carol"},
	)
	for _, u := range []models.User{erin, carol, dave} {
		f.srv.AddChat(telegramtest.PrivateChat(u)) // they have written to the bot before
	}
	f.start()
	names := func(scope string) []string {
		m, _ := f.srv.Menu(scope)
		var out []string
		for _, c := range m {
			out = append(out, c.Command)
		}
		return out
	}
	has := func(scope string) bool { _, ok := f.srv.Menu(scope); return ok }
	waitMenu := func(scope string, set bool) {
		t.Helper()
		if err := f.srv.Wait(waitCtx(t), func() bool { return has(scope) == set }); err != nil {
			t.Fatalf("menu %s set = %v, want %v", scope, has(scope), set)
		}
	}
	chat := func(u models.User) string { return "chat:" + strconv.FormatInt(u.ID, 10) }
	for _, scope := range []string{"default", "all_group_chats", chat(erin), chat(carol)} {
		waitMenu(scope, true) // set one after another, at start
	}
	tests := []struct {
		scope     string
		want, not []string
	}{
		{"default", []string{"status", "undo", "confirm", "export"}, []string{"adduser", "users", "remindnow"}},
		{"all_group_chats", []string{"status", "undo", "help"}, []string{"adduser", "export", "start", "confirm"}},
		{chat(erin), []string{"status", "undo", "users", "adduser", "removeuser", "remindnow"}, nil},
		{chat(carol), []string{"status", "list", "export"}, []string{"undo", "confirm", "detail", "adduser"}},
	}
	for _, tt := range tests {
		got := strings.Join(names(tt.scope), " ")
		for _, w := range tt.want {
			if !strings.Contains(" "+got+" ", " "+w+" ") {
				t.Errorf("menu %s = %s, lacks /%s", tt.scope, got, w)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(" "+got+" ", " "+n+" ") {
				t.Errorf("menu %s = %s, has /%s", tt.scope, got, n)
			}
		}
	}
	if has(chat(alice)) {
		t.Errorf("county staff have a menu of their own: %v", names(chat(alice)))
	}

	admin := telegramtest.PrivateChat(erin)
	f.srv.SendText(erin, admin, "/adduser 1004 viewer Dave")
	waitMenu(chat(dave), true)
	if got := strings.Join(names(chat(dave)), " "); strings.Contains(got, "undo") {
		t.Errorf("the new viewer's menu %s has /undo", got)
	}
	f.srv.SendText(erin, admin, "/removeuser 1003")
	waitMenu(chat(carol), false)
	f.srv.SendText(erin, admin, "/adduser 1006 admin")
	f.waitReply(t, admin.ID, 3)
	if has(chat(frank)) {
		t.Fatal("a menu for a chat Telegram does not know")
	}
	f.srv.SendText(frank, telegramtest.PrivateChat(frank), "/start")
	waitMenu(chat(frank), true)
	if got := strings.Join(names(chat(frank)), " "); !strings.Contains(got, "adduser") {
		t.Errorf("the new admin's menu = %s", got)
	}
}
