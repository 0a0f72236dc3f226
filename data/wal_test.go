package data

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// Writes outside the ledger's writer (a reminder control, an invite) let
// SQLite checkpoint its WAL. An autocommit INSERT … RETURNING, which gorm
// issues for a Create without a transaction, is reset by database/sql before
// it reaches SQLITE_DONE: the commit happens, but the WAL hook never runs,
// and the WAL grows by a page or more per write, for good, every sync slower.
func TestAutocommitWritesCheckpointTheWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	s := openConfig(t, DatabaseConfig{Driver: "sqlite", Path: path})
	ctx := context.Background()
	const writes = 3000 // about three times SQLite's checkpoint threshold of 1000 pages
	for i := range writes {
		var err error
		if i%2 == 0 {
			err = s.ControlReminders(ctx, ReminderControl{Action: "pause", UserID: 1})
		} else {
			_, err = s.CreateInvite(ctx, Person{Role: RoleViewer}, Author{UserID: 1})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	// Checkpointed, the WAL is reused from its start and stays near 1000
	// pages of 4 KiB; never checkpointed, it holds every write.
	if limit := int64(6 << 20); fi.Size() > limit {
		t.Errorf("WAL is %d bytes after %d writes, over %d: it is not checkpointed", fi.Size(), writes, limit)
	}
}
