package data

import (
	"context"
	"testing"
	"time"
)

// A reply stored with a Lease is born leased to the process that wrote it,
// which sends it from memory: another instance's claim loop leaves it alone
// while the lease lasts, and takes it, as tried once already (补发), once the
// lease ran out (the writer died before sending). A reply without a Lease
// (a channel whose loop claims its replies) and a reminder are claimed at
// once, as before.
func TestReplyBornLeased(t *testing.T) {
	for _, ts := range testStores() {
		t.Run(ts.name, func(t *testing.T) {
			cfg := ts.config(t)
			writer, other := openConfig(t, cfg), openConfig(t, cfg)
			now := testNow
			clock := func() time.Time { return now }
			writer.Now, other.Now = clock, clock
			ctx := context.Background()
			const lease = 15 * time.Second
			body := func(Outcome) Draft { return Draft{Body: []byte(`{"reply":{"Text":"ok"}}`)} }

			var row OutboxMessage
			err := writer.Answer(ctx, Answer{Key: "telegram:1", Outcome: ReceiptAnswered, Channel: "telegram", ChatID: 7,
				Draft: body, Lease: lease, Queued: &row})
			if err != nil {
				t.Fatal(err)
			}
			if row.ID == 0 || row.ChatID != 7 || string(row.Body) != `{"reply":{"Text":"ok"}}` || row.Attempts != 0 {
				t.Fatalf("queued row %+v: want its id, chat and body, as unclaimed (attempts 0)", row)
			}
			if got := claimIDs(t, other, "telegram"); len(got) != 0 {
				t.Fatalf("another instance claimed %v while the writer's lease lasts", got)
			}
			now = now.Add(lease - time.Second)
			if got := claimIDs(t, other, "telegram"); len(got) != 0 {
				t.Fatalf("claimed %v a second before the lease ends", got)
			}
			now = now.Add(2 * time.Second)
			ms, err := other.ClaimOutbox(ctx, "telegram", 10, lease)
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) != 1 || ms[0].ID != row.ID || ms[0].Attempts != 1 {
				t.Fatalf("after the lease: claimed %+v, want row %d tried once before (marked 补发)", ms, row.ID)
			}

			// DingTalk sends what its loop claims: no lease at birth.
			if err := writer.Answer(ctx, Answer{Key: "dingtalk:m1", Outcome: ReceiptAnswered, Channel: "dingtalk", ChatID: 8, Draft: body}); err != nil {
				t.Fatal(err)
			}
			if _, err := writer.QueueReminder(ctx, "r:1", 9, "telegram", []byte(`{}`), now.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if got := claimIDs(t, other, "dingtalk"); len(got) != 1 {
				t.Errorf("dingtalk reply claimed %v, want it at once", got)
			}
			if got := claimIDs(t, other, "telegram"); len(got) != 1 {
				t.Errorf("reminder claimed %v, want it at once", got)
			}
		})
	}
}

func claimIDs(t *testing.T, s *Store, channel string) []int64 {
	t.Helper()
	ms, err := s.ClaimOutbox(context.Background(), channel, 10, 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	return ids
}
