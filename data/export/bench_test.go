package export

import (
	"context"
	"io"
	"runtime"
	"testing"

	"tsbot/data"
	"tsbot/data/bigledger"
)

// BenchmarkCityExport is /export of the whole city at the scale: a
// million ledger entries and 80,000 names (a quarter of them with their
// details), read from the store and written as the .xlsx. heap-MB is what
// the process still holds, collected, once the workbook is written.
func BenchmarkCityExport(b *testing.B) {
	c := campaign(b)
	var counties []string
	for _, co := range c.Counties {
		counties = append(counties, co.Name)
	}
	path := bigledger.Copy(b, bigledger.Province(counties, seedNow))
	s, err := data.Open(data.DatabaseConfig{Path: path}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	var size int64
	b.ReportAllocs()
	for b.Loop() {
		in, err := Load(ctx, s, c, "", seedNow)
		if err != nil {
			b.Fatal(err)
		}
		if len(in.Names) < 79_000 {
			b.Fatalf("%d names", len(in.Names))
		}
		w := &countingWriter{}
		if err := Workbook(w, in); err != nil {
			b.Fatal(err)
		}
		size = w.n
	}
	b.StopTimer()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(size)/(1<<20), "xlsx-MB")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*countingWriter)(nil)
