package data

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
)

var testNow = time.Date(2027, 9, 20, 10, 30, 0, 0, time.UTC)

func openTestStore(t testing.TB) *Store {
	t.Helper()
	s, err := Open(DatabaseConfig{Driver: "sqlite", Path: filepath.Join(t.TempDir(), "ledger.db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Now = func() time.Time { return testNow }
	t.Cleanup(func() { s.Close() })
	return s
}

func add(county string, ind Indicator, n int) Change {
	return Change{County: county, Indicator: ind, Amount: n, Line: fmt.Sprintf("%s %s %+d", county, ind.Name(), n)}
}

func set(county string, ind Indicator, n int) Change {
	return Change{County: county, Indicator: ind, Op: OpSet, Amount: n, Line: fmt.Sprintf("%s %s =%d", county, ind.Name(), n)}
}

func mustTotals(t *testing.T, s *Store) map[string]Counts {
	t.Helper()
	got, err := s.Totals(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestRecordAddSetAndTotals(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := Author{UserID: 7, Name: "张三", ChatID: 7, MessageID: 1, Text: "柯桥 辅导 +3"}
		out, err := s.Record(ctx, a, []Change{add("柯桥", Tutoring, 3), add("柯桥", CityStation, 2)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Effects) != 2 || out.Effects[0].Done != 3 || out.Effects[1].Done != 2 {
			t.Errorf("effects = %+v", out.Effects)
		}
		// A set is relative to the total inside the transaction: 3 → 12 is +9.
		out, err = s.Record(ctx, Author{UserID: 7, MessageID: 2}, []Change{set("柯桥", Tutoring, 12)})
		if err != nil {
			t.Fatal(err)
		}
		if out.Effects[0].Delta != 9 || out.Effects[0].Done != 12 {
			t.Errorf("set effect = %+v, want delta 9 done 12", out.Effects[0])
		}
		// Two changes of one total in one message apply in order.
		out, err = s.Record(ctx, Author{UserID: 7, MessageID: 3}, []Change{add("越城", Zone, 1), add("越城", Zone, 1)})
		if err != nil {
			t.Fatal(err)
		}
		if out.Effects[1].Done != 2 {
			t.Errorf("second effect done = %d, want 2", out.Effects[1].Done)
		}
		want := map[string]Counts{"柯桥": {0, 0, 2, 12}, "越城": {2, 0, 0, 0}}
		if got := mustTotals(t, s); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("totals = %v, want %v", got, want)
		}
		h, err := s.History(ctx, "柯桥", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 3 || h[0].Op != OpSet || h[0].Amount != 12 || h[2].UserName != "张三" || h[2].Line == "" || !h[2].CreatedAt.Equal(testNow) {
			t.Errorf("history = %+v", h)
		}
	})
}

func TestRecordIsAllOrNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if _, err := s.Record(ctx, Author{UserID: 1}, []Change{add("柯桥", Tutoring, 2)}); err != nil {
			t.Fatal(err)
		}
		_, err := s.Record(ctx, Author{UserID: 1}, []Change{add("越城", Tutoring, 5), add("柯桥", Tutoring, -3)})
		var bz *BelowZeroError
		if !errors.As(err, &bz) || bz.County != "柯桥" || bz.Done != 2 || bz.Delta != -3 {
			t.Fatalf("err = %v, want below zero for 柯桥", err)
		}
		if got := mustTotals(t, s); got["越城"] != (Counts{}) || got["柯桥"] != (Counts{0, 0, 0, 2}) {
			t.Errorf("totals after refused batch = %v", got)
		}
		if _, err := s.Record(ctx, Author{UserID: 1}, []Change{set("柯桥", Tutoring, -1)}); !errors.As(err, &bz) {
			t.Errorf("set below zero: err = %v", err)
		}
	})
}

// The totals are upserts that return the new total: a total that goes
// below zero part-way through a message, or a total that never existed
// going negative, is refused after the fact, and the batch leaves nothing.
func TestRecordBelowZeroMidBatch(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		_, err := s.Record(ctx, Author{UserID: 1}, []Change{add("柯桥", Tutoring, 3), add("柯桥", Tutoring, -5), add("柯桥", Tutoring, 9)})
		var bz *BelowZeroError
		if !errors.As(err, &bz) || bz.Done != 3 || bz.Delta != -5 {
			t.Fatalf("err = %v, want below zero at 3-5", err)
		}
		if _, err := s.Record(ctx, Author{UserID: 1}, []Change{add("越城", Zone, -1)}); !errors.As(err, &bz) || bz.Done != 0 {
			t.Fatalf("new total below zero: err = %v", err)
		}
		if got := mustTotals(t, s); len(got) != 0 {
			t.Errorf("totals after refused batches = %v, want none", got)
		}
		out, err := s.Record(ctx, Author{UserID: 1}, []Change{add("柯桥", Tutoring, 3), set("柯桥", Tutoring, 1), add("柯桥", Tutoring, 2)})
		if err != nil {
			t.Fatal(err)
		}
		if d := out.Effects[1].Delta; d != -2 || out.Effects[2].Done != 3 {
			t.Errorf("effects = %+v, want the set to be -2 and the total 3", out.Effects)
		}
	})
}

func TestRecordSameUpdateOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := Author{UserID: 1, UpdateID: 1001}
		first, err := s.Record(ctx, a, []Change{add("上虞", Tutoring, 4)})
		if err != nil || first.Duplicate {
			t.Fatalf("first: %+v %v", first, err)
		}
		again, err := s.Record(ctx, a, []Change{add("上虞", Tutoring, 4)})
		if err != nil {
			t.Fatal(err)
		}
		if !again.Duplicate || again.Batch.ID != first.Batch.ID || again.Effects[0].Done != 4 {
			t.Errorf("again = %+v", again)
		}
		if got := mustTotals(t, s)["上虞"][Tutoring]; got != 4 {
			t.Errorf("total = %d, want 4", got)
		}
	})
}

func TestUndo(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if _, err := s.Undo(ctx, Author{UserID: 5}, 0); !errors.Is(err, ErrNotFound) {
			t.Fatalf("undo with nothing: %v", err)
		}
		b1, _ := s.Record(ctx, Author{UserID: 5}, []Change{add("新昌", Tutoring, 3)})
		if _, err := s.Record(ctx, Author{UserID: 6}, []Change{add("新昌", Tutoring, 1)}); err != nil {
			t.Fatal(err)
		}
		b3, _ := s.Record(ctx, Author{UserID: 5}, []Change{add("新昌", CityStation, 2), add("新昌", Tutoring, 2)})

		out, err := s.Undo(ctx, Author{UserID: 5}, 0) // undoes b3, the user's own last
		if err != nil {
			t.Fatal(err)
		}
		if *out.Batch.Reverts != b3.Batch.ID || len(out.Effects) != 2 || out.Effects[1].Delta != -2 {
			t.Errorf("undo = %+v", out)
		}
		if _, err := s.Undo(ctx, Author{UserID: 5}, b3.Batch.ID); !errors.Is(err, ErrAlreadyUndone) {
			t.Errorf("second undo of b3: %v, want ErrAlreadyUndone", err)
		}
		if _, err := s.Undo(ctx, Author{UserID: 5}, out.Batch.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("undo of an undo: %v, want ErrNotFound", err)
		}
		out, err = s.Undo(ctx, Author{UserID: 5}, 0) // next: b1
		if err != nil || *out.Batch.Reverts != b1.Batch.ID {
			t.Fatalf("second /undo = %+v, %v", out, err)
		}
		if got := mustTotals(t, s)["新昌"]; got != (Counts{0, 0, 0, 1}) {
			t.Errorf("totals = %v", got)
		}
		// History is kept: 1+1+2+2 original and compensating entries.
		h, _ := s.History(ctx, "新昌", 100)
		if len(h) != 7 {
			t.Errorf("history has %d entries, want 7", len(h))
		}
	})
}

func TestReplaceEditedMessage(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := Author{UserID: 3, ChatID: -100, MessageID: 55, Text: "诸暨 辅导 +5"}
		if _, err := s.Record(ctx, a, []Change{add("诸暨", Tutoring, 5)}); err != nil {
			t.Fatal(err)
		}
		a.Text, a.UpdateID = "诸暨 辅导 +2", 900
		out, err := s.Replace(ctx, a, []Change{add("诸暨", Tutoring, 2)})
		if err != nil {
			t.Fatal(err)
		}
		if out.Batch.Kind != KindEdit || out.Effects[len(out.Effects)-1].Done != 2 {
			t.Errorf("edit = %+v", out)
		}
		a.UpdateID = 901
		if _, err := s.Replace(ctx, a, nil); err != nil { // edited into nonsense: revert
			t.Fatal(err)
		}
		if got := mustTotals(t, s)["诸暨"][Tutoring]; got != 0 {
			t.Errorf("total after revert = %d, want 0", got)
		}
	})
}

// A message can carry two live batches: staff edit an ambiguous message
// into a clear one, then press a button of the question it had raised (the
// choice is recorded under the message it answers). The next edit
// compensates both, and neither may be compensated again afterwards.
func TestReplaceMessageWithTwoLiveBatches(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := Author{UserID: 3, ChatID: -100, MessageID: 56, UpdateID: 910, Text: "诸暨 辅导 +2"}
		edit1, err := s.Replace(ctx, a, []Change{add("诸暨", Tutoring, 2)})
		if err != nil {
			t.Fatal(err)
		}
		a.UpdateID, a.Text = -7, "诸暨 辅导 +3" // the button of choice 7
		if _, err := s.Record(ctx, a, []Change{add("诸暨", Tutoring, 3)}); err != nil {
			t.Fatal(err)
		}
		a.UpdateID, a.Text = 911, "诸暨 辅导 +1"
		edit2, err := s.Replace(ctx, a, []Change{add("诸暨", Tutoring, 1)})
		if err != nil {
			t.Fatal(err)
		}
		if got := mustTotals(t, s)["诸暨"][Tutoring]; got != 1 {
			t.Fatalf("total after the second edit = %d, want 1", got)
		}
		// The undo button under the first edit's reply is still there; a
		// press carries no update id.
		if _, err := s.Undo(ctx, Author{UserID: a.UserID, ChatID: a.ChatID}, edit1.Batch.ID); !errors.Is(err, ErrAlreadyUndone) {
			t.Errorf("undo of the replaced edit: err = %v, want ErrAlreadyUndone", err)
		}
		if b, err := s.LastUndoable(ctx, a.UserID); err != nil || b.ID != edit2.Batch.ID {
			t.Errorf("last undoable = %d, %v; want the second edit %d", b.ID, err, edit2.Batch.ID)
		}
		a.UpdateID, a.Text = 912, "诸暨 辅导 +4"
		if _, err := s.Replace(ctx, a, []Change{add("诸暨", Tutoring, 4)}); err != nil {
			t.Fatal(err)
		}
		if got := mustTotals(t, s)["诸暨"][Tutoring]; got != 4 {
			t.Errorf("total after the third edit = %d, want 4", got)
		}
		if n, err := s.CheckTotals(ctx); err != nil || n != 0 {
			t.Errorf("CheckTotals repaired %d, %v; want 0", n, err)
		}
	})
}

func TestConcurrentWritersAreExact(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		const writers, each = 8, 25
		var wg sync.WaitGroup
		errs := make(chan error, writers*each)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					id := int64(w*1000 + i + 1)
					// every update is sent twice, as a redelivery would
					for range 2 {
						if _, err := s.Record(ctx, Author{UserID: int64(w + 1), UpdateID: id}, []Change{add("嵊州", Tutoring, 1)}); err != nil {
							errs <- err
						}
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if got := mustTotals(t, s)["嵊州"][Tutoring]; got != writers*each {
			t.Errorf("total = %d, want %d", got, writers*each)
		}
	})
}

func TestCheckTotalsRepairs(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if _, err := s.Record(ctx, Author{UserID: 1}, []Change{add("柯桥", Tutoring, 4)}); err != nil {
			t.Fatal(err)
		}
		if n, err := s.CheckTotals(ctx); err != nil || n != 0 {
			t.Fatalf("consistent ledger: repaired %d, %v", n, err)
		}
		if err := s.db.Exec("UPDATE totals SET done = 99").Error; err != nil {
			t.Fatal(err)
		}
		if n, err := s.CheckTotals(ctx); err != nil || n != 1 {
			t.Fatalf("repaired %d, %v; want 1", n, err)
		}
		if got := mustTotals(t, s)["柯桥"][Tutoring]; got != 4 {
			t.Errorf("total = %d, want 4", got)
		}
	})
}

// CheckTotals runs at start, when a second instance on the same database
// may be writing. A write that commits between its sum of the entries and
// its read of the totals must not be "repaired" away.
func TestCheckTotalsBesideAWriter(t *testing.T) {
	for _, ts := range testStores() {
		t.Run(ts.name, func(t *testing.T) {
			cfg := ts.config(t)
			s, other := openConfig(t, cfg), openConfig(t, cfg)
			ctx := context.Background()
			if _, err := s.Record(ctx, Author{UserID: 1}, []Change{add("柯桥", Tutoring, 4)}); err != nil {
				t.Fatal(err)
			}
			written := make(chan error, 1)
			var once sync.Once
			// After CheckTotals has summed the entries and before it reads
			// the totals, the other instance records one more; give it time
			// to commit.
			err := s.db.Callback().Query().Before("gorm:query").Register("test:write_between", func(db *gorm.DB) {
				if db.Statement.Table != "totals" {
					return
				}
				once.Do(func() {
					go func() {
						_, err := other.Record(ctx, Author{UserID: 2}, []Change{add("柯桥", Tutoring, 1)})
						written <- err
					}()
					time.Sleep(300 * time.Millisecond)
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.CheckTotals(ctx); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-written:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the other instance's write never came")
			}
			if err := s.db.Callback().Query().Remove("test:write_between"); err != nil {
				t.Fatal(err)
			}
			if got := mustTotals(t, s)["柯桥"][Tutoring]; got != 5 {
				t.Errorf("total = %d, want 5 (4, then 1 by the other instance)", got)
			}
			if n, err := s.CheckTotals(ctx); err != nil || n != 0 {
				t.Errorf("second check repaired %d, %v; want 0: totals drifted from the entries", n, err)
			}
		})
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	for _, ts := range testStores() {
		t.Run(ts.name, func(t *testing.T) {
			cfg := ts.config(t)
			s, err := Open(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Record(context.Background(), Author{UserID: 1}, []Change{add("越城", Zone, 1)}); err != nil {
				t.Fatal(err)
			}
			s.Close()
			s, err = Open(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got := mustTotals(t, s)["越城"][Zone]; got != 1 {
				t.Errorf("after reopen: %d, want 1", got)
			}
		})
	}
}

func TestRoster(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if _, err := s.Person(ctx, 9); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown person: %v", err)
		}
		if err := s.SeedRoster(ctx, []Person{{UserID: 9, Role: RoleCounty, County: "柯桥"}}); err != nil {
			t.Fatal(err)
		}
		if err := s.SavePerson(ctx, Person{UserID: 9, Role: RoleAdmin, Name: "凌晓波"}); err != nil {
			t.Fatal(err)
		}
		p, err := s.Person(ctx, 9)
		if err != nil || p != (Person{UserID: 9, Role: RoleAdmin, Name: "凌晓波"}) {
			t.Errorf("person = %+v, %v", p, err)
		}
		if err := s.RemovePerson(ctx, 9); !errors.Is(err, ErrLastAdmin) {
			t.Fatalf("remove the last admin: %v", err)
		}
		if err := s.SavePerson(ctx, Person{UserID: 10, Role: RoleAdmin}); err != nil {
			t.Fatal(err)
		}
		if err := s.RemovePerson(ctx, 9); err != nil {
			t.Fatal(err)
		}
		if err := s.RemovePerson(ctx, 9); !errors.Is(err, ErrNotFound) {
			t.Errorf("second remove: %v", err)
		}
	})
}

func TestDatabaseErrorsAreReported(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		s.Close()
		if _, err := s.Record(context.Background(), Author{UserID: 1}, []Change{add("柯桥", Tutoring, 1)}); err == nil {
			t.Fatal("write to a closed database succeeded")
		}
	})
}
