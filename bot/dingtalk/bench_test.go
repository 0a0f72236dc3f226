package dingtalk_test

import (
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"tsbot/bot/dingtalktest"
	"tsbot/data"
)

// BenchmarkDingTalkRoundTrip is a message in, reply out, through the fake on loopback: the time from the
// frame pushed to the reply posted to the session webhook.
func BenchmarkDingTalkRoundTrip(b *testing.B) {
	for _, staff := range []int{1, 20} {
		b.Run(fmt.Sprintf("staff=%d", staff), func(b *testing.B) {
			f := newFixture(b)
			people := make([]data.Person, staff)
			for i := range people {
				people[i] = data.Person{Role: data.RoleCounty, County: "柯桥", DingTalkID: sid(fmt.Sprintf("bench%02d", i))}
			}
			if err := f.store.SeedRoster(b.Context(), people); err != nil {
				b.Fatal(err)
			}
			var mu sync.Mutex
			var lat []time.Duration
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			per := (b.N + staff - 1) / staff
			for i := range staff {
				wg.Add(1)
				go func() {
					defer wg.Done()
					conv := fmt.Sprintf("cid-private-bench%02d", i)
					for k := range per {
						t0 := time.Now()
						f.srv.Send(dingtalktest.Msg{Staff: fmt.Sprintf("bench%02d", i), Text: "柯桥 辅导企业 +1"})
						if got := f.srv.WaitSent("/session/"+conv, k+1, 20*time.Second); len(got) < k+1 {
							b.Errorf("staff %d: reply %d missing", i, k+1)
							return
						}
						mu.Lock()
						lat = append(lat, time.Since(t0))
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			el := time.Since(start)
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
				b.ReportMetric(float64(len(lat))/el.Seconds(), "msgs/s")
			}
		})
	}
}
