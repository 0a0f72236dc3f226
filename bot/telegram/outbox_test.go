package telegram_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"tsbot/bot"
	"tsbot/bot/telegramtest"
	"tsbot/data"
)

// A reply goes out from the memory of the process that stored it, with no
// claim transaction: it is born leased to that process, which renews the
// lease while the reply waits behind the chat's rate limit. Another
// instance on the same database leaves it alone all that time. A trigger
// on the outbox table counts the claims (a claim is the only statement that
// raises attempts).
func TestReplySentWithoutClaim(t *testing.T) {
	f := newFixture(t)
	const lease = 1500 * time.Millisecond // renewed every third of it
	f.opts.OutboxLease = lease
	f.opts.Limits.Private = 2*lease + lease/3 // the second reply waits behind the first
	f.opts.Limits.ChatBurst = 1
	db, err := sql.Open("sqlite3", "file:"+f.dbPath+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"CREATE TABLE test_claims (outbox_id INTEGER)",
		"CREATE TRIGGER test_claim AFTER UPDATE OF attempts ON outbox WHEN NEW.attempts > OLD.attempts BEGIN INSERT INTO test_claims VALUES (NEW.id); END",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	other, err := data.Open(data.DatabaseConfig{Driver: "sqlite", Path: f.dbPath}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	f.start()
	ctx := context.Background()
	chat := telegramtest.PrivateChat(alice)
	f.srv.SendText(alice, chat, "柯桥 辅导企业 +1")
	f.waitReply(t, chat.ID, 1)
	start := time.Now()
	f.srv.SendText(alice, chat, "柯桥 辅导企业 +2")
	// Until it is sent, and past its first lease, the second reply is
	// the writer's.
	for len(f.sent(chat.ID)) < 2 {
		if time.Since(start) > 20*time.Second {
			t.Fatal("the second reply never came")
		}
		ms, err := other.ClaimOutbox(ctx, "telegram", 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != 0 {
			t.Fatalf("after %v another instance claimed %d message(s) of the writer's", time.Since(start).Round(time.Millisecond), len(ms))
		}
		time.Sleep(lease / 10)
	}
	if waited := time.Since(start); waited < 2*lease {
		t.Errorf("the second reply came after %v: it did not wait past its first lease", waited)
	}
	f.stop()
	for i, r := range f.sent(chat.ID) {
		if !strings.HasPrefix(r.Params["text"], "✅ 已记录") {
			t.Errorf("reply %d = %q", i+1, r.Params["text"])
		}
	}
	var claims int
	if err := db.QueryRow("SELECT count(*) FROM test_claims").Scan(&claims); err != nil {
		t.Fatal(err)
	}
	if claims != 0 {
		t.Errorf("%d claims, want none: a reply is sent by the process that stored it", claims)
	}
	if sent, err := f.store.Outbox(ctx, "telegram", data.OutboxSent); err != nil || len(sent) != 2 {
		t.Errorf("%d messages marked sent (%v), want 2", len(sent), err)
	}
}

// A reply born leased to a process that died before sending it (stored,
// never sent) is left alone until its lease runs out, then sent by the
// next process's claim loop, marked 补发, once.
func TestBornLeasedReplyOfACrashedProcess(t *testing.T) {
	f := newFixture(t)
	f.opts.OutboxEvery = 20 * time.Millisecond
	chat := telegramtest.PrivateChat(alice)
	f.srv.AddChat(chat)
	const lease = 600 * time.Millisecond
	body := bot.EncodeOutgoing(bot.Outgoing{Reply: bot.Reply{Text: "✅ 已记录"}})
	var row data.OutboxMessage
	stored := time.Now()
	err := f.store.Answer(context.Background(), data.Answer{Key: "telegram:77", Outcome: data.ReceiptWritten, Channel: "telegram",
		ChatID: chat.ID, Draft: func(data.Outcome) data.Draft { return data.Draft{Body: body} }, Lease: lease, Queued: &row})
	if err != nil {
		t.Fatal(err)
	}
	f.start() // the next process: the writer is gone
	r := f.waitReply(t, chat.ID, 1)
	if waited := time.Since(stored); waited < lease {
		t.Errorf("sent %v after it was stored, inside the dead writer's lease (%v)", waited, lease)
	}
	if r.Params["text"] != "（补发）✅ 已记录" {
		t.Errorf("reply %q, want it marked 补发", r.Params["text"])
	}
	f.stop()
	if n := len(f.sent(chat.ID)); n != 1 {
		t.Errorf("%d replies, want 1", n)
	}
	if sent, err := f.store.Outbox(context.Background(), "telegram", data.OutboxSent); err != nil || len(sent) != 1 || sent[0].ID != row.ID {
		t.Errorf("sent rows %+v (%v), want row %d", sent, err, row.ID)
	}
}

// At shutdown the Sender still sends what is queued (a reply in flood wait,
// here), within ShutdownWait: its lease is kept all that time, so another
// instance on the same database does not claim it and send it too.
func TestLeaseKeptWhileShutdownDrains(t *testing.T) {
	f := newFixture(t)
	const lease = 1500 * time.Millisecond // renewed every third of it
	f.opts.OutboxLease = lease
	f.opts.ShutdownWait = 5 * time.Second
	other, err := data.Open(data.DatabaseConfig{Driver: "sqlite", Path: f.dbPath}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	f.start()
	chat := telegramtest.PrivateChat(alice)
	f.srv.FailNext("sendMessage", telegramtest.TooManyRequests(3))
	f.srv.SendText(alice, chat, "柯桥 辅导企业 +1")
	if _, err := f.srv.WaitCalls(waitCtx(t), "sendMessage", 1); err != nil {
		t.Fatal(err)
	}
	cancel, done := f.cancel, f.done
	f.cancel = nil // stopped here
	cancel()
	ctx := context.Background()
	for running := true; running; time.Sleep(lease / 10) {
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
			running = false // done: no claim while it ran
			continue
		default:
		}
		ms, err := other.ClaimOutbox(ctx, "telegram", 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != 0 {
			t.Fatalf("during shutdown another instance claimed %d message(s) the process was still sending", len(ms))
		}
	}
	if n := len(f.sent(chat.ID)); n != 1 {
		t.Errorf("%d replies, want 1", n)
	}
}
