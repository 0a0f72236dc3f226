package data

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
)

// An idle writer commits on the caller's goroutine; the writes that arrive
// while that commit runs wait, and are committed together, all exactly once.
// Close lets the waiting writes finish and refuses new ones.
func TestWritesGroupWhileACommitRuns(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	const others = 39
	release := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		_, err := s.write(ctx, Author{UserID: 1}, KindUpdate, func(tx *gorm.DB, b *Batch) ([]Entry, error) {
			<-release // hold the commit until the others have queued behind it
			return planChanges([]Change{add("柯桥", Tutoring, 1)}), nil
		})
		first <- err
	}()
	waitFor(t, func() bool { s.w.mu.Lock(); defer s.w.mu.Unlock(); return s.w.busy })
	var wg sync.WaitGroup
	errs := make(chan error, others)
	for range others {
		wg.Go(func() {
			_, err := s.Record(ctx, Author{UserID: 2}, []Change{add("柯桥", Tutoring, 1)})
			errs <- err
		})
	}
	waitFor(t, func() bool { s.w.mu.Lock(); defer s.w.mu.Unlock(); return len(s.w.queue) == others })
	close(release)
	wg.Wait()
	close(errs)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := mustTotals(t, s)["柯桥"][Tutoring]; got != others+1 {
		t.Errorf("total = %d, want %d", got, others+1)
	}
	s.Close()
	if _, err := s.Record(ctx, Author{UserID: 2}, []Change{add("柯桥", Tutoring, 1)}); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: err = %v, want ErrClosed", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
	}
}
