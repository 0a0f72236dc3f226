package data

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestClaimReminderOncePerChat(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	const key = "county_nag:2027-09-30:d-7:柯桥"

	ok, err := s.ClaimReminder(ctx, key, -100, testNow)
	if err != nil || !ok {
		t.Fatalf("first claim = %v, %v; want true", ok, err)
	}
	ok, err = s.ClaimReminder(ctx, key, -100, testNow)
	if err != nil || ok {
		t.Fatalf("second claim = %v, %v; want false", ok, err)
	}
	// Another chat, same key: its own row.
	if ok, err := s.ClaimReminder(ctx, key, 42, testNow); err != nil || !ok {
		t.Fatalf("claim for another chat = %v, %v; want true", ok, err)
	}
	if err := s.FinishReminder(ctx, key, -100, ReminderSent, "", testNow.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishReminder(ctx, key, 42, ReminderFailed, "telegram: 500", testNow); err != nil {
		t.Fatal(err)
	}
	// A finished row is never rewritten, and a failed one is not claimed again.
	if err := s.FinishReminder(ctx, key, -100, ReminderFailed, "late", testNow); !errors.Is(err, ErrNotFound) {
		t.Errorf("finishing a sent row: err = %v, want ErrNotFound", err)
	}
	if ok, _ := s.ClaimReminder(ctx, key, 42, testNow); ok {
		t.Error("a failed reminder was claimed again")
	}
	if ok, err := s.SkipReminder(ctx, key, -100, "missed", testNow); err != nil || ok {
		t.Errorf("skip of a sent reminder = %v, %v; want false", ok, err)
	}
	if ok, err := s.SkipReminder(ctx, "contact_digest:2027-09-30:d-30", 0, "no recipient", testNow); err != nil || !ok {
		t.Errorf("skip = %v, %v; want true", ok, err)
	}

	got, err := s.SentReminders(ctx, "county_nag:")
	if err != nil {
		t.Fatal(err)
	}
	want := []SentReminder{
		{Key: key, ChatID: -100, Status: ReminderSent},
		{Key: key, ChatID: 42, Status: ReminderFailed, Error: "telegram: 500"},
	}
	if len(got) != len(want) {
		t.Fatalf("rows = %+v", got)
	}
	for i, w := range want {
		g := got[i]
		if g.Key != w.Key || g.ChatID != w.ChatID || g.Status != w.Status || g.Error != w.Error {
			t.Errorf("row %d = %+v, want %+v", i, g, w)
		}
	}
	if !got[0].At.Equal(testNow.Add(time.Second)) {
		t.Errorf("sent at %v, want %v", got[0].At, testNow.Add(time.Second))
	}
	all, _ := s.SentReminders(ctx, "")
	if len(all) != 3 {
		t.Errorf("all rows = %d, want 3", len(all))
	}
}

// Two processes on one database file race for the same reminders: each
// (key, chat) is claimed by exactly one of them.
func TestClaimReminderTwoProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	var stores [2]*Store
	for i := range stores {
		s, err := Open(DatabaseConfig{Path: path}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	ctx := context.Background()
	keys := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	var wins atomic.Int64
	var wg sync.WaitGroup
	for _, s := range stores {
		for w := 0; w < 3; w++ {
			wg.Go(func() {
				for _, k := range keys {
					ok, err := s.ClaimReminder(ctx, k, 7, testNow)
					if err != nil {
						t.Error(err)
						return
					}
					if ok {
						wins.Add(1)
					}
				}
			})
		}
	}
	wg.Wait()
	if got := wins.Load(); got != int64(len(keys)) {
		t.Errorf("claims won = %d, want %d (one per key)", got, len(keys))
	}
}

// The pace window's sums, on SQLite and on PostgreSQL.
func TestProgressBetween(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for i, at := range []time.Time{testNow.Add(-30 * 24 * time.Hour), testNow.Add(-time.Hour), testNow, testNow.Add(time.Hour)} {
			s.Now = func() time.Time { return at }
			if _, err := s.Record(ctx, Author{UserID: 7, MessageID: int64(i + 1)}, []Change{add("柯桥", Tutoring, i+1), add("越城", Zone, 1)}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.ProgressBetween(ctx, testNow.Add(-28*24*time.Hour), testNow)
		if err != nil {
			t.Fatal(err)
		}
		want := []Progress{{"柯桥", Tutoring, 2 + 3, testNow}, {"越城", Zone, 2, testNow}}
		if len(got) != len(want) {
			t.Fatalf("progress = %+v, want %+v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("progress[%d] = %+v, want %+v", i, got[i], want[i])
			}
		}
		// from is exclusive and to inclusive, whatever zone they are given in.
		sh := time.FixedZone("CST", 8*3600)
		got, err = s.ProgressBetween(ctx, testNow.Add(-time.Hour).In(sh), testNow.In(sh))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Delta != 3 || got[1].Delta != 1 {
			t.Errorf("progress of the last hour = %+v, want only the third message", got)
		}
	})
}
