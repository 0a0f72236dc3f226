package bot

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// burstBytes is how much the heap must allocate within one period for
// ReturnMemory to count it as a burst.
const burstBytes = 16 << 20

// afterBurst is how many quiet periods after a burst return memory: at the
// first, the upload may still hold the file.
const afterBurst = 3

// ReturnMemory gives memory back to the operating system once a burst of
// allocation is over, checking every period until ctx ends. An /export of
// a province's lists passes a few hundred MB through the heap, in the
// handler and then in the upload; the runtime keeps what it freed resident
// (it collects again only when the heap grows, which an idle bot's does
// not), and the database's idle connections keep buffers of the largest
// rows they handled: far over the 40 MB the bot should idle in. So the
// first quiet periods (less than a sixteenth of burstBytes allocated)
// after one that allocated more than burstBytes call each release (such
// as the store's ReleaseMemory), force a collection and return the pages:
// a few ms each, a few times per burst; steady work never triggers it.
func ReturnMemory(ctx context.Context, period time.Duration, release ...func(context.Context)) {
	t := time.NewTicker(period)
	defer t.Stop()
	last, left := heapAllocs(), 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := heapAllocs()
		n := now - last
		last = now
		switch {
		case n > burstBytes:
			left = afterBurst
		case left > 0 && n < burstBytes/16:
			for _, r := range release {
				r(ctx)
			}
			debug.FreeOSMemory()
			left--
		}
	}
}

// heapAllocs is the bytes the heap has allocated since the start.
func heapAllocs() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
