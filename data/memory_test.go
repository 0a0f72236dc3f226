package data

import (
	"context"
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
}
