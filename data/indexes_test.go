package data

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// An entry writes two indexes beside its row, no more: each one more is a
// B-tree write on every user's update. The start-up check of the totals
// and the pace query of the reminders read idx_entries_pace alone, and a
// ledger made by an older schema loses the two indexes it replaced.
func TestEntryIndexes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	s, err := Open(DatabaseConfig{Driver: "sqlite", Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The older schema's indexes, as it made them.
	for _, q := range []string{
		"CREATE INDEX idx_entries_recent ON entries (created_at, county, indicator, delta)",
		"CREATE INDEX idx_entries_sums ON entries (county, indicator, delta)",
	} {
		if err := s.db.Exec(q).Error; err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s, err = Open(DatabaseConfig{Driver: "sqlite", Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	var names []string
	if err := s.db.Raw("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entries' AND sql IS NOT NULL ORDER BY name").Scan(&names).Error; err != nil {
		t.Fatal(err)
	}
	if want := []string{"idx_entries_batch_id", "idx_entries_pace"}; !slices.Equal(names, want) {
		t.Errorf("indexes on entries: %v, want %v", names, want)
	}
	now := time.Now()
	for _, tc := range []struct {
		name string
		sql  string
		args []any
	}{
		{"the totals check", "SELECT county, indicator, SUM(delta) AS done FROM entries GROUP BY county, indicator", nil},
		{"the pace of one list", "SELECT SUM(e.delta) FROM entries e WHERE e.county = ? AND e.indicator = ? AND e.created_at > ? AND e.created_at <= ?",
			[]any{"柯桥", Tutoring, now.Add(-28 * 24 * time.Hour), now}},
	} {
		var plan []struct{ Detail string }
		if err := s.db.Raw("EXPLAIN QUERY PLAN "+tc.sql, tc.args...).Scan(&plan).Error; err != nil {
			t.Fatal(err)
		}
		var details []string
		for _, p := range plan {
			details = append(details, p.Detail)
		}
		if got := strings.Join(details, "; "); !strings.Contains(got, "COVERING INDEX idx_entries_pace") {
			t.Errorf("%s: plan %q, want it read from idx_entries_pace alone", tc.name, got)
		}
	}
}
