package bot

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"tsbot/data"
)

// Buttons a release before issued_buttons put under messages still in the
// chats work after the upgrade: the migration issues them once.
func TestButtonsFromBeforeTheUpgrade(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := f.h.Handle(ctx, Message{Channel: "telegram", UpdateID: 1, UserID: keqiao, UserName: "张三", ChatID: keqiao, MessageID: 1, Text: "柯桥 辅导企业 +3"})
	q := f.h.Handle(ctx, Message{Channel: "telegram", UpdateID: 2, UserID: keqiao, UserName: "张三", ChatID: keqiao, MessageID: 2, Text: "柯桥 辅导企业 3"})
	f.store.Close()
	db, err := sql.Open("sqlite3", f.path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DROP TABLE issued_buttons`); err != nil { // as before the upgrade
		t.Fatal(err)
	}
	db.Close()
	f.reopen()
	got := f.h.HandlePress(ctx, Press{Channel: "telegram", UpdateID: 3, UserID: keqiao, ChatID: keqiao, MessageID: 10, Data: q.Buttons[0].Data})
	if !strings.HasPrefix(got.Text, "✅ 已记录") {
		t.Errorf("open question from before the upgrade: %q", got.Text)
	}
	got = f.h.HandlePress(ctx, Press{Channel: "telegram", UpdateID: 4, UserID: keqiao, ChatID: keqiao, MessageID: 11, Data: r.Buttons[0].Data})
	if !strings.HasPrefix(got.Text, "↩️ 已撤销") {
		t.Errorf("undo button from before the upgrade: %q", got.Text)
	}
}

// An edit that turns a recorded message into an ambiguous one reverts, then
// asks, in two transactions: a crash between them brings the edit again,
// and it must still ask.
func TestEditRevertedThenAskedAfterACrash(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.h.Handle(ctx, Message{Channel: "telegram", UpdateID: 1, UserID: keqiao, UserName: "张三", ChatID: keqiao, MessageID: 1, Text: "柯桥 辅导企业 +3"})
	p, err := f.store.Person(ctx, keqiao)
	if err != nil {
		t.Fatal(err)
	}
	a := authorAs(Message{UserID: keqiao, UserName: "张三", ChatID: keqiao, MessageID: 1, UpdateID: 2, Text: "柯桥 辅导企业 3"}, p)
	if _, err := f.store.Replace(ctx, a, nil); err != nil { // the first delivery got this far
		t.Fatal(err)
	}
	r := f.h.Handle(ctx, Message{Channel: "telegram", UpdateID: 2, UserID: keqiao, UserName: "张三", ChatID: keqiao, MessageID: 1, Text: "柯桥 辅导企业 3", Edited: true})
	if len(r.Buttons) == 0 || !strings.HasPrefix(r.Text, "↩️ 修改后的消息不再是填报") {
		t.Errorf("the redelivered edit: %q, buttons %v", r.Text, r.Buttons)
	}
}

// reopen opens the fixture's database again, as a restart (an upgrade) would.
func (f *fixture) reopen() {
	f.t.Helper()
	store, err := data.Open(data.DatabaseConfig{Path: f.path}, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { store.Close() })
	store.Now = func() time.Time { return fixedNow }
	f.store, f.h.Store = store, store
}
