package dingtalk_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"tsbot/bot/dingtalk"
	"tsbot/bot/dingtalktest"
	"tsbot/data"
)

// A reply goes out from the memory of the process that stored it, born
// leased to it, with no claim transaction. A trigger on the outbox table
// counts the claims (a claim is the only statement that raises attempts).
func TestReplySentWithoutClaim(t *testing.T) {
	f := newFixture(t)
	db, err := sql.Open("sqlite3", "file:"+f.db+"?_busy_timeout=10000")
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
	for i, text := range []string{"柯桥 辅导企业 +1", "柯桥 辅导企业 +2", "进度"} {
		if got := f.say(dingtalktest.Msg{Staff: "zhang3", Text: text}, i+1); strings.HasPrefix(got, "（补发）") {
			t.Errorf("reply %d marked resent: %q", i+1, got)
		}
	}
	var claims int
	if err := db.QueryRow("SELECT count(*) FROM test_claims").Scan(&claims); err != nil {
		t.Fatal(err)
	}
	if claims != 0 {
		t.Errorf("%d claims, want none: a reply is sent by the process that stored it", claims)
	}
	// Marked once the batch it went in is done.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		sent, err := f.store.Outbox(context.Background(), "dingtalk", data.OutboxSent)
		if err == nil && len(sent) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d replies marked sent (%v), want 3", len(sent), err)
		}
	}
}

// A reply whose send outlasts its lease (a slow session webhook) stays the
// sender's: another instance on the same database never claims it, nor the
// replies sent before it in the same batch and not yet marked.
func TestSlowReplyKeepsItsLease(t *testing.T) {
	const lease = 600 * time.Millisecond
	f := newFixtureWith(t, func(o *dingtalk.Options) { o.OutboxLease = lease })
	other, err := data.Open(data.DatabaseConfig{Driver: "sqlite", Path: f.db}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	f.srv.SlowSessions(3 * lease)
	id := f.srv.Send(dingtalktest.Msg{Staff: "zhang3", Text: "柯桥 辅导企业 +1"})
	if !f.srv.WaitAck(id, 10*time.Second) {
		t.Fatal("not acknowledged")
	}
	ctx := context.Background()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(lease / 10) {
		ms, err := other.ClaimOutbox(ctx, "dingtalk", 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != 0 {
			t.Fatalf("another instance claimed %d reply(s) the writer was still sending", len(ms))
		}
		if sent, err := f.store.Outbox(ctx, "dingtalk", data.OutboxSent); err == nil && len(sent) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the reply was never marked sent")
		}
	}
}

// Replies still unsent at shutdown (one on a slow webhook, those behind
// it) are handed back, not left leased: the next start sends them at once,
// not once their leases ran out.
func TestShutdownReleasesTheBatchBeingSent(t *testing.T) {
	f := newFixtureWith(t, func(o *dingtalk.Options) { o.OutboxLease = time.Minute })
	f.srv.SlowSessions(5 * time.Second)
	for _, text := range []string{"柯桥 辅导企业 +1", "柯桥 辅导企业 +2", "柯桥 辅导企业 +3"} {
		id := f.srv.Send(dingtalktest.Msg{Staff: "zhang3", Text: text})
		if !f.srv.WaitAck(id, 10*time.Second) {
			t.Fatalf("%q not acknowledged", text)
		}
	}
	f.srv.WaitSent("/session/", 1, 5*time.Second) // the first is on its way
	f.stop()
	pending, err := f.store.Outbox(context.Background(), "dingtalk", data.OutboxPending)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) == 0 {
		t.Fatal("no reply left pending: the test sent them all")
	}
	for _, m := range pending {
		if m.LeaseUntil != nil && m.LeaseUntil.After(time.Now()) {
			t.Errorf("reply %d left leased until %v after shutdown", m.ID, m.LeaseUntil)
		}
	}
}

// Replies waiting in memory behind a slow one keep their leases: neither
// the loop's own claim, once the slow one is out, nor another instance
// takes them, and each goes out once.
func TestRepliesWaitingBehindASlowOneSentOnce(t *testing.T) {
	const lease = 300 * time.Millisecond
	f := newFixtureWith(t, func(o *dingtalk.Options) { o.OutboxLease = lease })
	f.srv.SlowSessions(3 * lease)
	texts := []string{"柯桥 辅导企业 +1", "柯桥 辅导企业 +2", "柯桥 辅导企业 +3", "柯桥 辅导企业 +4"}
	for _, text := range texts {
		id := f.srv.Send(dingtalktest.Msg{Staff: "zhang3", Text: text})
		if !f.srv.WaitAck(id, 10*time.Second) {
			t.Fatalf("%q not acknowledged", text)
		}
	}
	ctx := context.Background()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if sent, err := f.store.Outbox(ctx, "dingtalk", data.OutboxSent); err == nil && len(sent) == len(texts) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the replies were never all marked sent")
		}
	}
	time.Sleep(3 * lease) // a second send on its way
	if got := f.srv.Sent("/session/"); len(got) != len(texts) {
		var ts []string
		for _, s := range got {
			ts = append(ts, s.Text())
		}
		t.Errorf("%d replies posted, want %d: %q", len(got), len(texts), ts)
	}
}
