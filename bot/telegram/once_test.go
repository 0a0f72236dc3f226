package telegram_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"tsbot/bot"
	"tsbot/bot/telegramtest"
	"tsbot/data"
	"tsbot/jobs"
)

// A delivery seen twice has one effect and one answer, whatever it did the
// first time and whatever happened in between. Each case sends a first
// message, changes the data behind it, has Telegram deliver the first again,
// then sends a marker message: the chat's updates are handled in order, so
// the marker's reply means the redelivery was handled, and the replies in
// between must be exactly the marker's.

func TestRedeliveryIsNotJudgedAgain(t *testing.T) {
	cases := []struct {
		name      string
		first     string
		wantFirst string
		between   string // makes the first message succeed if judged again
		wantTotal int
	}{
		{name: "a refused decrement", first: "柯桥 辅导企业 -1", wantFirst: "未记录", between: "柯桥 辅导企业 +3", wantTotal: 3},
		{name: "an undo that found nothing", first: "/undo", wantFirst: "没有可撤销的记录", between: "柯桥 辅导企业 +3", wantTotal: 3},
		{name: "a query", first: "柯桥 进度", wantFirst: "柯桥", between: "柯桥 辅导企业 +2", wantTotal: 2},
		{name: "a recorded update", first: "柯桥 辅导企业 +4", wantFirst: "✅ 已记录", between: "柯桥 辅导企业 +1", wantTotal: 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.start()
			chat := telegramtest.PrivateChat(alice)
			first, _ := f.srv.SendText(alice, chat, c.first)
			if r := f.waitReply(t, chat.ID, 1); !strings.Contains(r.Params["text"], c.wantFirst) {
				t.Fatalf("first reply %q, want %q in it", r.Params["text"], c.wantFirst)
			}
			f.srv.SendText(alice, chat, c.between)
			f.waitReply(t, chat.ID, 2)
			f.srv.Redeliver(first)
			f.srv.SendText(alice, chat, "/whoami")
			if r := f.waitReply(t, chat.ID, 3); !strings.Contains(r.Params["text"], "身份") {
				t.Errorf("third reply %q: the redelivery was answered again", r.Params["text"])
			}
			if n := f.done_("柯桥", data.Tutoring); n != c.wantTotal {
				t.Errorf("柯桥 tutoring = %d, want %d", n, c.wantTotal)
			}
			f.stop()
			if n := len(f.sent(chat.ID)); n != 3 {
				t.Errorf("%d replies, want 3: %v", n, texts(f.sent(chat.ID)))
			}
		})
	}
}

// A redelivered ambiguous message asks once; its answer, pressed and
// redelivered, counts once.
func TestRedeliveredQuestionAndPress(t *testing.T) {
	f := newFixture(t)
	f.start()
	chat := telegramtest.PrivateChat(alice)
	asked, _ := f.srv.SendText(alice, chat, "柯桥 辅导企业 3")
	q := f.waitReply(t, chat.ID, 1)
	f.srv.Redeliver(asked)
	f.srv.SendText(alice, chat, "/whoami")
	f.waitReply(t, chat.ID, 2)
	bs := buttons(q)
	if len(bs) != 2 {
		t.Fatalf("buttons %+v", bs)
	}
	pressed, _ := f.srv.PressButton(alice, chat, q.Message.ID, bs[0].CallbackData)
	if r := f.waitEdit(t, chat.ID, 1); !strings.HasPrefix(r.Params["text"], "✅ 已记录") {
		t.Fatalf("press: %q", r.Params["text"])
	}
	f.srv.Redeliver(pressed)
	f.srv.SendText(alice, chat, "/whoami")
	f.waitReply(t, chat.ID, 3)
	if n := f.done_("柯桥", data.Tutoring); n != 3 {
		t.Errorf("柯桥 tutoring = %d, want 3", n)
	}
	f.stop()
	if got := texts(f.sent(chat.ID)); len(got) != 3 {
		t.Errorf("replies %v, want 3: question, whoami, whoami", got)
	}
	if got := texts(f.edits(chat.ID)); len(got) != 1 {
		t.Errorf("edits %v, want 1: the question, recorded", got)
	}
}

// An ambiguous message edited into an explicit one is recorded; the old
// question's buttons are then closed and record nothing.
func TestEditClosesTheQuestion(t *testing.T) {
	f := newFixture(t)
	f.start()
	chat := telegramtest.PrivateChat(alice)
	_, msg := f.srv.SendText(alice, chat, "柯桥 辅导企业 3")
	q := f.waitReply(t, chat.ID, 1)
	f.srv.EditText(alice, chat, msg, "柯桥 辅导企业 +3")
	if r := f.waitReply(t, chat.ID, 2); !strings.Contains(r.Params["text"], "3/20") {
		t.Fatalf("edit: %q", r.Params["text"])
	}
	f.srv.PressButton(alice, chat, q.Message.ID, buttons(q)[0].CallbackData)
	if r := f.waitAlert(t, 1); !strings.Contains(r.Params["text"], "已经回答过或已失效") {
		t.Errorf("press on the closed question: %q", r.Params["text"])
	}
	if _, err := f.srv.WaitCalls(waitCtx(t), "editMessageReplyMarkup", 1); err != nil {
		t.Fatal(err)
	}
	if m, _ := f.srv.Message(chat.ID, q.Message.ID); m.ReplyMarkup != nil {
		t.Errorf("the closed question keeps its buttons: %+v", m.ReplyMarkup)
	}
	if n := f.done_("柯桥", data.Tutoring); n != 3 {
		t.Errorf("柯桥 tutoring = %d, want 3", n)
	}
}

// A press whose data the bot never issued to that chat does nothing: a
// crafted u:0 is not an /undo, another chat's question is not answerable.
func TestCraftedPresses(t *testing.T) {
	f := newFixture(t)
	f.start()
	chat := telegramtest.PrivateChat(alice)
	f.srv.SendText(alice, chat, "柯桥 辅导企业 +3")
	r := f.waitReply(t, chat.ID, 1)
	undo := buttons(r)[0].CallbackData
	for i, data := range []string{"u:0", "u:-1", "c:1:0", "t:1", strings.Replace(undo, ":", ":9", 1)} {
		f.srv.CraftedPress(alice, chat, r.Message.ID, data)
		if got := f.waitAlert(t, 1+i); got.Params["text"] != "按钮已失效。" {
			t.Errorf("crafted %q: %q", data, got.Params["text"])
		}
	}
	if n := f.done_("柯桥", data.Tutoring); n != 3 {
		t.Errorf("柯桥 tutoring = %d, want 3 (a crafted press undid it)", n)
	}
	// The real button still works.
	f.srv.PressButton(alice, chat, r.Message.ID, undo)
	if got := f.waitEdit(t, chat.ID, 1); !strings.HasPrefix(got.Params["text"], "↩️ 已撤销") {
		t.Errorf("real undo: %q", got.Params["text"])
	}
}

// A reply that could not be sent is not lost: it stays in the outbox, goes
// out after a restart marked 补发, and is sent once.
func TestReplyOutlivesARestart(t *testing.T) {
	f := newFixture(t)
	f.opts.Limits.Attempts = 1       // the Sender gives up at once: the outbox must keep it
	f.opts.OutboxBackoff = time.Hour // and would try again only much later
	f.start()
	chat := telegramtest.PrivateChat(alice)
	f.srv.FailNext("sendMessage", telegramtest.InternalError())
	f.srv.SendText(alice, chat, "柯桥 辅导企业 +3")
	ctx := context.Background()
	// Recorded and acknowledged, but no reply went out.
	if err := f.srv.Wait(waitCtx(t), func() bool { return len(f.srv.CallsTo("sendMessage")) >= 1 }); err != nil {
		t.Fatal(err)
	}
	f.stop()
	if n := len(f.sent(chat.ID)); n != 0 {
		t.Fatalf("%d replies went out through the faults", n)
	}
	pending, err := f.store.Outbox(ctx, "telegram", data.OutboxPending)
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending after the failed sends: %d, %v", len(pending), err)
	}
	f.opts.OutboxBackoff = 0
	f.start()
	r := f.waitReply(t, chat.ID, 1)
	if !strings.HasPrefix(r.Params["text"], "（补发）✅ 已记录") {
		t.Errorf("resent reply %q, want it marked 补发", r.Params["text"])
	}
	f.stop()
	if n := len(f.sent(chat.ID)); n != 1 {
		t.Errorf("%d replies, want 1", n)
	}
	if left, _ := f.store.Outbox(ctx, "telegram", data.OutboxPending); len(left) != 0 {
		t.Errorf("%d messages still pending", len(left))
	}
}

// A reminder whose send fails is tried again within its day, and recorded
// sent once it went out.
func TestReminderRetriedFromTheOutbox(t *testing.T) {
	f := newFixture(t)
	f.opts.Limits.Attempts = 1
	f.opts.OutboxBackoff = 20 * time.Millisecond
	f.opts.OutboxEvery = 20 * time.Millisecond
	for range 3 {
		f.srv.FailNext("sendMessage", telegramtest.InternalError())
	}
	f.srv.AddChat(telegramtest.PrivateChat(alice))
	f.start()
	ctx := context.Background()
	queued, err := f.tg.QueueReminder(ctx, "county_nag:柯桥:test", alice.ID, "柯桥还差20家", time.Now().Add(time.Hour))
	if err != nil || !queued {
		t.Fatalf("queue: %v, %v", queued, err)
	}
	if again, _ := f.tg.QueueReminder(ctx, "county_nag:柯桥:test", alice.ID, "柯桥还差20家", time.Now().Add(time.Hour)); again {
		t.Error("the same reminder queued twice")
	}
	defer func() {
		if t.Failed() {
			t.Log(f.logs.String())
		}
	}()
	r := f.waitReply(t, alice.ID, 1)
	if !strings.HasSuffix(r.Params["text"], "柯桥还差20家") {
		t.Errorf("reminder %q", r.Params["text"])
	}
	f.stop()
	rows, err := f.store.SentReminders(ctx, "county_nag:")
	if err != nil || len(rows) != 1 || rows[0].Status != data.ReminderSent {
		t.Errorf("sent_reminders %+v, %v; want one row, sent", rows, err)
	}
	if n := len(f.sent(alice.ID)); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
}

// A reminder that cannot be sent all its day is given up, recorded failed,
// and /reminders says so.
func TestReminderGivenUpIsReported(t *testing.T) {
	f := newFixture(t)
	f.opts.Limits.Attempts = 1
	f.opts.OutboxBackoff = 20 * time.Millisecond
	f.opts.OutboxEvery = 20 * time.Millisecond
	for range 200 {
		f.srv.FailNext("sendMessage", telegramtest.InternalError())
	}
	f.srv.AddChat(telegramtest.PrivateChat(bob))
	f.start()
	ctx := context.Background()
	if _, err := f.tg.QueueReminder(ctx, "county_nag:诸暨:test", bob.ID, "诸暨还差20家", time.Now().Add(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	err := f.srv.Wait(waitCtx(t), func() bool {
		rows, _ := f.store.SentReminders(ctx, "county_nag:")
		return len(rows) == 1 && rows[0].Status == data.ReminderFailed
	})
	if err != nil {
		rows, _ := f.store.SentReminders(ctx, "county_nag:")
		t.Fatalf("reminder not given up: %+v", rows)
	}
	f.stop()
	runner, err := jobs.NewRunner(f.store, nil, &f.campaign, data.DefaultConfig().Reminders, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := bot.NewHandler(f.store, &f.campaign, nil)
	h.Reminders = runner
	got := h.Handle(ctx, bot.Message{UserID: alice.ID, ChatID: alice.ID, Text: "/reminders"}).Text
	if !strings.Contains(got, "1条提醒多次重试后仍未送达") || !strings.Contains(got, "county_nag:诸暨:test → 聊天1002") {
		t.Errorf("/reminders:\n%s", got)
	}
}

// A reminder longer than a Telegram message goes out in several, in order,
// each within Telegram's 4,096 UTF-16 code units.
func TestLongReminderSplit(t *testing.T) {
	f := newFixture(t)
	f.srv.AddChat(telegramtest.PrivateChat(alice))
	f.start()
	var b strings.Builder
	b.WriteString("【截止提醒】\n")
	for i := range 400 {
		fmt.Fprintf(&b, "县%03d 辅导 3/20 😀\n", i)
	}
	b.WriteString("合计")
	if _, err := f.tg.QueueReminder(context.Background(), "contact_digest:test", alice.ID, b.String(), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	err := f.srv.Wait(waitCtx(t), func() bool {
		s := f.sent(alice.ID)
		return len(s) > 0 && strings.HasSuffix(s[len(s)-1].Params["text"], "合计")
	})
	if err != nil {
		t.Fatalf("the last part never came: %d parts", len(f.sent(alice.ID)))
	}
	parts := f.sent(alice.ID)
	var whole []string
	for _, p := range parts {
		if n := len(utf16.Encode([]rune(p.Params["text"]))); n > 4096 {
			t.Errorf("a part of %d UTF-16 units", n)
		}
		whole = append(whole, p.Params["text"])
	}
	if len(parts) < 2 || strings.Join(whole, "\n") != b.String() {
		t.Errorf("%d parts that do not add up to the reminder", len(parts))
	}
}

// A reminder whose day passed before it could be sent (the process was down
// until the next day) is not sent late: it is recorded skipped, missed.
func TestExpiredReminderNotSentLate(t *testing.T) {
	f := newFixture(t)
	f.srv.AddChat(telegramtest.PrivateChat(alice))
	ctx := context.Background()
	body := bot.EncodeOutgoing(bot.Outgoing{Reply: bot.Reply{Text: "柯桥还差20家"}})
	if ok, err := f.store.QueueReminder(ctx, "county_nag:柯桥:yesterday", alice.ID, "telegram", body, time.Now().Add(50*time.Millisecond)); err != nil || !ok {
		t.Fatal(ok, err)
	}
	time.Sleep(100 * time.Millisecond) // down past the reminder's day
	f.start()
	f.srv.SendText(alice, telegramtest.PrivateChat(alice), "/whoami")
	f.waitReply(t, alice.ID, 1)
	f.stop()
	for _, c := range f.sent(alice.ID) {
		if strings.Contains(c.Params["text"], "柯桥还差20家") {
			t.Errorf("a reminder sent after its day: %q", c.Params["text"])
		}
	}
	rows, err := f.store.SentReminders(ctx, "county_nag:")
	if err != nil || len(rows) != 1 || rows[0].Status != data.ReminderSkipped {
		t.Errorf("sent_reminders %+v, %v; want skipped", rows, err)
	}
}

// A reply of several parts (a long text) whose second part fails is sent on
// from that part: none goes out twice.
func TestSplitReplyResumedFromTheFailedPart(t *testing.T) {
	f := newFixture(t)
	f.opts.Limits.Attempts = 1
	f.opts.OutboxBackoff = 20 * time.Millisecond
	f.opts.OutboxEvery = 20 * time.Millisecond
	f.opts.Limits.Private = 300 * time.Millisecond // time to fail the second part
	f.opts.Limits.ChatBurst = 1
	f.srv.AddChat(telegramtest.PrivateChat(alice))
	var b strings.Builder
	for i := range 400 {
		fmt.Fprintf(&b, "县%03d 辅导 3/20\n", i)
	}
	b.WriteString("合计")
	f.start()
	if _, err := f.tg.QueueReminder(context.Background(), "contact_digest:split", alice.ID, b.String(), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	f.waitReply(t, alice.ID, 1)
	f.srv.FailNext("sendMessage", telegramtest.InternalError()) // the second part
	err := f.srv.Wait(waitCtx(t), func() bool {
		s := f.sent(alice.ID)
		return len(s) > 0 && strings.HasSuffix(s[len(s)-1].Params["text"], "合计")
	})
	if err != nil {
		t.Fatalf("the last part never came: %v", texts(f.sent(alice.ID)))
	}
	f.stop()
	seen := map[string]int{}
	for _, s := range texts(f.sent(alice.ID)) {
		first, _, _ := strings.Cut(strings.TrimPrefix(s, "（补发）"), "\n")
		seen[first]++
	}
	for first, n := range seen {
		if n > 1 {
			t.Errorf("the part starting %q went out %d times", first, n)
		}
	}
}

// A reminder to a chat that blocked the bot is recorded skipped (nobody to
// tell), not failed (which /reminders lists for a follow-up).
func TestBlockedReminderSkipped(t *testing.T) {
	f := newFixture(t)
	f.srv.FailNext("sendMessage", telegramtest.Blocked())
	f.srv.AddChat(telegramtest.PrivateChat(alice))
	f.start()
	ctx := context.Background()
	if _, err := f.tg.QueueReminder(ctx, "county_nag:柯桥:blocked", alice.ID, "x", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	var rows []data.SentReminder
	err := f.srv.Wait(waitCtx(t), func() bool {
		rows, _ = f.store.SentReminders(ctx, "county_nag:")
		return len(rows) == 1 && rows[0].Status != data.ReminderClaimed
	})
	if err != nil || rows[0].Status != data.ReminderSkipped {
		t.Errorf("sent_reminders %+v, %v; want skipped", rows, err)
	}
}

// A reply of three parts whose second fails (after the Sender's own tries)
// must not send the third meanwhile: the retry resumes from the second, and
// a third sent already would go out twice, and out of order.
func TestSplitReplyStopsAtTheFailedPart(t *testing.T) {
	f := newFixture(t)
	f.opts.Limits.Attempts = 1
	f.opts.OutboxBackoff = 20 * time.Millisecond
	f.opts.OutboxEvery = 20 * time.Millisecond
	f.opts.Limits.Private = 300 * time.Millisecond // time to fail the second part
	f.opts.Limits.ChatBurst = 1
	f.srv.AddChat(telegramtest.PrivateChat(alice))
	var b strings.Builder
	for i := range 800 {
		fmt.Fprintf(&b, "县%03d 辅导 3/20\n", i)
	}
	b.WriteString("合计")
	f.start()
	if _, err := f.tg.QueueReminder(context.Background(), "contact_digest:split3", alice.ID, b.String(), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	f.waitReply(t, alice.ID, 1)
	f.srv.FailNext("sendMessage", telegramtest.InternalError()) // the second part
	err := f.srv.Wait(waitCtx(t), func() bool {
		s := f.sent(alice.ID)
		return len(s) > 0 && strings.HasSuffix(s[len(s)-1].Params["text"], "合计")
	})
	if err != nil {
		t.Fatalf("the last part never came: %v", texts(f.sent(alice.ID)))
	}
	time.Sleep(200 * time.Millisecond) // a retry that would send it again
	f.stop()
	var firsts []string
	seen := map[string]int{}
	for _, s := range texts(f.sent(alice.ID)) {
		first, _, _ := strings.Cut(strings.TrimPrefix(s, "（补发）"), "\n")
		firsts = append(firsts, first)
		seen[first]++
	}
	if len(firsts) < 3 {
		t.Fatalf("%d parts, want 3 at least", len(firsts))
	}
	for first, n := range seen {
		if n > 1 {
			t.Errorf("the part starting %q went out %d times (parts: %q)", first, n, firsts)
		}
	}
}

// A part refused for good (a 400) gives the message up: the parts after it
// still go out, since nothing is tried again.
func TestSplitReplyGoesOnAfterARefusedPart(t *testing.T) {
	f := newFixture(t)
	f.opts.OutboxBackoff = 20 * time.Millisecond
	f.opts.OutboxEvery = 20 * time.Millisecond
	f.opts.Limits.Private = 300 * time.Millisecond // time to fail the second part
	f.opts.Limits.ChatBurst = 1
	f.srv.AddChat(telegramtest.PrivateChat(alice))
	var b strings.Builder
	for i := range 800 {
		fmt.Fprintf(&b, "县%03d 辅导 3/20\n", i)
	}
	b.WriteString("合计")
	f.start()
	if _, err := f.tg.QueueReminder(context.Background(), "contact_digest:refused", alice.ID, b.String(), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	f.waitReply(t, alice.ID, 1)
	f.srv.FailNext("sendMessage", telegramtest.BadRequest("can't parse entities"))
	err := f.srv.Wait(waitCtx(t), func() bool {
		s := f.sent(alice.ID)
		return len(s) > 0 && strings.HasSuffix(s[len(s)-1].Params["text"], "合计")
	})
	if err != nil {
		t.Fatalf("the last part never came: %v", texts(f.sent(alice.ID)))
	}
}
