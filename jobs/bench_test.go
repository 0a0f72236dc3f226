package jobs

import (
	"context"
	"database/sql"
	"testing"

	"tsbot/data"
	"tsbot/data/bigledger"
)

// BenchmarkTickProvince is one tick at 09:00 on d-7 at the scale:
// 90 counties, a million ledger entries over 180 days (155,000 of them in
// the 28-day pace window). pace is the window's query alone; plan is what
// RunAt does less the sends: roster, totals, pace, every due text.
func BenchmarkTickProvince(b *testing.B) {
	now := local("2027-09-22 09:00")
	c, cfg, _, _ := province(b, now)
	var counties []string
	for i := range c.Counties {
		c.Counties[i].ChatID = -1000 - int64(i)
		counties = append(counties, c.Counties[i].Name)
	}
	cfg.ContactChatID = admin
	path := bigledger.Copy(b, bigledger.Province(counties, now))
	shortOfTargets(b, path)
	store, err := data.Open(data.DatabaseConfig{Path: path}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	b.Run("pace", func(b *testing.B) {
		for b.Loop() {
			ps, err := store.ProgressBetween(ctx, now.Add(-PaceWindow), now)
			if err != nil || len(ps) != 90*data.NumIndicators {
				b.Fatalf("%d rows, %v", len(ps), err)
			}
		}
	})
	b.Run("plan", func(b *testing.B) {
		r, err := NewRunner(store, &recorder{}, c, cfg, nil)
		if err != nil {
			b.Fatal(err)
		}
		var plan []Delivery
		for b.Loop() {
			if plan, err = r.Plan(ctx, now); err != nil {
				b.Fatal(err)
			}
		}
		texts := 0
		for _, d := range plan {
			if d.Text != "" {
				texts++
			}
		}
		if texts < 80 {
			b.Fatalf("%d deliveries, %d texts", len(plan), texts)
		}
		b.ReportMetric(float64(texts), "texts")
	})
}

// shortOfTargets scales the totals down (11,000 a county and indicator
// would meet every target) so that most counties get a nag to render.
func shortOfTargets(b *testing.B, path string) {
	b.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE totals SET done = done / 1000`); err != nil {
		b.Fatal(err)
	}
}
