package data

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// ReleaseMemory closes the idle connections and trims the C heap; the
// store goes on working, on new connections.
func TestReleaseMemory(t *testing.T) {
	s, err := Open(DatabaseConfig{Path: filepath.Join(t.TempDir(), "tsbot.db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.SeedRoster(ctx, []Person{{UserID: 1, Role: RoleAdmin}}); err != nil {
		t.Fatal(err)
	}
	s.ReleaseMemory(ctx)
	if people, err := s.People(ctx); err != nil || len(people) != 1 {
		t.Errorf("People after ReleaseMemory = %v, %v; want the admin", people, err)
	}
	// The pool keeps as many idle connections as Open gave it: twenty chats
	// at once do not open a connection every few updates after a release.
	sqlDB, err := s.db.DB()
	if err != nil {
		t.Fatal(err)
	}
	var held []*sql.Conn
	for range sqliteIdleConns {
		c, err := sqlDB.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	for _, c := range held {
		c.Close()
	}
	if idle := sqlDB.Stats().Idle; idle != sqliteIdleConns {
		t.Errorf("%d idle connections after a release and a burst, want %d", idle, sqliteIdleConns)
	}
}
