package data

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An upgrade: a database left by the first release (its schema, made with
// raw SQL from testdata, and its rows) is opened by today's code, whose
// AutoMigrate adds what is new at start-up. Nothing is lost, the old rows
// read as before, and the ledger carries on from them.
func TestMigrateFromFirstSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	schema, err := os.ReadFile(filepath.Join("testdata", "schema_v1_sqlite.sql"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{}
	for _, s := range strings.Split(string(schema), ";\n") {
		var lines []string
		for _, l := range strings.Split(s, "\n") {
			if !strings.HasPrefix(l, "--") {
				lines = append(lines, l)
			}
		}
		if s := strings.TrimSpace(strings.Join(lines, "\n")); s != "" {
			stmts = append(stmts, s)
		}
	}
	stmts = append(stmts,
		"INSERT INTO batches (id, update_id, kind, user_id, user_name, chat_id, message_id, text, created_at) VALUES (1, 77, 'update', 9, '张三', 9, 1, '柯桥 辅导企业 +3', '2027-09-01 02:00:00')",
		"INSERT INTO entries (batch_id, county, indicator, op, amount, delta, line, user_id, created_at) VALUES (1, '柯桥', 'tutoring', 'add', 3, 3, '柯桥 辅导企业 +3', 9, '2027-09-01 02:00:00')",
		"INSERT INTO totals (county, indicator, done) VALUES ('柯桥', 'tutoring', 3)",
		"INSERT INTO roster (user_id, role, county, name) VALUES (9, 'county', '柯桥', '张三')",
	)
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	db.Close()

	s := openConfig(t, DatabaseConfig{Driver: "sqlite", Path: path})
	ctx := context.Background()
	if n, err := s.CheckTotals(ctx); err != nil || n != 0 {
		t.Fatalf("check totals after the upgrade: %d repaired, %v", n, err)
	}
	if p, err := s.Person(ctx, 9); err != nil || p.County != "柯桥" {
		t.Errorf("roster after the upgrade: %+v, %v", p, err)
	}
	// The old update is still known: redelivered, it is not applied twice.
	again, err := s.Record(ctx, Author{UserID: 9, UpdateID: 77}, []Change{add("柯桥", Tutoring, 3)})
	if err != nil || !again.Duplicate {
		t.Errorf("redelivered old update: %+v, %v", again, err)
	}
	if _, err := s.Record(ctx, Author{UserID: 9, UpdateID: 78, ChatID: 9, MessageID: 2}, []Change{add("柯桥", Tutoring, 2)}); err != nil {
		t.Fatal(err)
	}
	// The old batch can be undone: the new columns read as their defaults.
	if out, err := s.Undo(ctx, Author{UserID: 9}, 1); err != nil || out.Batch.Late {
		t.Fatalf("undo of the old batch: %+v, %v", out, err)
	}
	if got := mustTotals(t, s)["柯桥"][Tutoring]; got != 2 {
		t.Errorf("total = %d, want 2", got)
	}
	// The DingTalk columns: old batches have no channel, the old person no
	// staff id; the person can be given one, and a DingTalk-only person an id.
	if b, err := s.Batch(ctx, 1); err != nil || b.Channel != "" || b.MsgID != "" {
		t.Errorf("old batch after the upgrade: %+v, %v", b, err)
	}
	if p, err := s.Person(ctx, 9); err != nil || p.DingTalkID != nil {
		t.Errorf("old person after the upgrade: %+v, %v", p, err)
	}
	staff := "manager4321"
	if p, err := s.SaveDingTalkPerson(ctx, Person{Role: RoleCounty, County: "越城", Name: "李四", DingTalkID: &staff}); err != nil || p.UserID != FirstDingTalkUserID {
		t.Errorf("DingTalk person after the upgrade: %+v, %v", p, err)
	}
	if out, err := s.Record(ctx, Author{UserID: FirstDingTalkUserID, Channel: "dingtalk", MsgID: "msgA", ChatID: FirstDingTalkChatID}, []Change{add("越城", Tutoring, 1)}); err != nil || out.Batch.Channel != "dingtalk" {
		t.Errorf("DingTalk batch after the upgrade: %+v, %v", out, err)
	}
	if ok, err := s.ClaimReminder(ctx, "k", 1, testNow); err != nil || !ok {
		t.Errorf("a table new since the first release: claim = %v, %v", ok, err)
	}
	s.Close()
	// A second start finds nothing left to migrate.
	s = openConfig(t, DatabaseConfig{Driver: "sqlite", Path: path})
	if got := mustTotals(t, s)["柯桥"][Tutoring]; got != 2 {
		t.Errorf("after a second start: total = %d, want 2", got)
	}
}
