package bot

import (
	"context"
	"testing"
	"time"
)

var sink []byte

// After a period that allocated a burst, the quiet periods release memory
// (afterBurst of them); quiet periods without a burst before do nothing.
func TestReturnMemoryAfterBurst(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	released := make(chan struct{}, 10)
	go ReturnMemory(ctx, 100*time.Millisecond, func(context.Context) { released <- struct{}{} })
	select {
	case <-released:
		t.Fatal("released without a burst")
	case <-time.After(350 * time.Millisecond):
	}
	for range 40 {
		sink = make([]byte, 1<<20) // 40 MB, over burstBytes
	}
	sink = nil
	for range afterBurst {
		select {
		case <-released:
		case <-time.After(5 * time.Second):
			t.Fatal("no release after the burst")
		}
	}
}
