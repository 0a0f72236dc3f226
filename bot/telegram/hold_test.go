package telegram_test

import (
	"database/sql"
	"strings"
	"testing"
	"time"

	"tsbot/bot/telegramtest"
	"tsbot/data"
)

// While one chat's update is held back (its write failed), other chats are
// served, not kept waiting RetryEvery for each retry; the held chat's later
// updates still wait behind it. RetryEvery is a minute, so every reply the
// test sees comes while the first update is still held.
func TestTelegramHeldUpdateDoesNotHoldUpOtherChats(t *testing.T) {
	f := newFixture(t)
	f.opts.RetryEvery = time.Minute
	db, err := sql.Open("sqlite3", f.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Only 柯桥's writes fail.
	if _, err := db.Exec(`CREATE TRIGGER down BEFORE INSERT ON entries WHEN NEW.county = '柯桥' BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`); err != nil {
		t.Fatal(err)
	}
	f.start()
	aliceChat, bobChat := telegramtest.PrivateChat(alice), telegramtest.PrivateChat(bob)
	held, _ := f.srv.SendText(alice, aliceChat, "柯桥 辅导企业 +3")
	if r := f.waitReply(t, aliceChat.ID, 1); !strings.Contains(r.Params["text"], "请勿重发") {
		t.Fatalf("first reply = %q, want the hold-back notice", r.Params["text"])
	}
	f.srv.SendText(alice, aliceChat, "柯桥 辅导企业 +1") // behind the held one
	for i, text := range []string{"诸暨 辅导企业 +2", "诸暨 辅导企业 +1", "/whoami"} {
		f.srv.SendText(bob, bobChat, text)
		if r := f.waitReply(t, bobChat.ID, i+1); r.Params["text"] == "" || strings.Contains(r.Params["text"], "请勿重发") {
			t.Fatalf("bob's reply %d = %q", i+1, r.Params["text"])
		}
	}
	if got := f.done_("诸暨", data.Tutoring); got != 3 {
		t.Errorf("诸暨 tutoring = %d, want 3", got)
	}
	if got := f.done_("柯桥", data.Tutoring); got != 0 {
		t.Errorf("柯桥 tutoring = %d while its writes fail", got)
	}
	if n := len(f.sent(aliceChat.ID)); n != 1 {
		t.Errorf("alice got %d messages, want only the notice (her second update waits behind the first): %v", n, texts(f.sent(aliceChat.ID)))
	}
	if off := f.srv.Offset(); off > held {
		t.Errorf("offset %d passed the held update %d", off, held)
	}
	f.stop()
	// Between batches with nothing new the loop pauses; it does not spin.
	if n := len(f.srv.CallsTo("getUpdates")); n > 40 {
		t.Errorf("%d getUpdates calls: polling in a busy loop", n)
	}
	if n := len(f.sent(bobChat.ID)); n != 3 {
		t.Errorf("bob got %d replies, want 3 (no repeats when his updates came back with the held one)", n)
	}
}
