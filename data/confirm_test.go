package data

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A county confirms once per opening of its lists; a reopening is recorded
// with its reason and takes the sign-off back; a confirmation of lists that
// changed since their preview is refused.
func TestConfirmReopen(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := &Campaign{Counties: []County{{Name: "柯桥", Target: Counts{0, 1, 7, 20}}}}
		staff := Author{UserID: 7, Name: "张三"}
		admin := Author{UserID: 1, Name: "凌晓波", Admin: true}
		if _, err := s.Reopen(ctx, admin, "柯桥", "x"); !errors.Is(err, ErrNotConfirmed) {
			t.Fatalf("reopen of unconfirmed lists: %v", err)
		}
		sub, err := s.Submission(ctx, c, "柯桥")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Record(ctx, staff, []Change{named("柯桥", Tutoring, 1, "甲公司")}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Confirm(ctx, staff, "柯桥", sub.Version); !errors.Is(err, ErrListsChanged) {
			t.Fatalf("confirm of a stale preview: %v", err)
		}
		sub, err = s.Submission(ctx, c, "柯桥")
		if err != nil {
			t.Fatal(err)
		}
		if sub.Named[Tutoring] != 1 || sub.Gap[Tutoring] != 19 || len(sub.MissingDetails) != 3 {
			t.Errorf("submission = %+v", sub)
		}
		first, err := s.Confirm(ctx, staff, "柯桥", sub.Version)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Confirm(ctx, staff, "柯桥", 0); !errors.Is(err, ErrAlreadyConfirmed) {
			t.Errorf("second confirm: %v", err)
		}
		var closed *ClosedError
		if _, err := s.Record(ctx, staff, []Change{add("柯桥", Tutoring, 1)}); !errors.As(err, &closed) {
			t.Errorf("staff change while confirmed: %v", err)
		}
		ro, err := s.Reopen(ctx, admin, "柯桥", "补报乙公司")
		if err != nil {
			t.Fatal(err)
		}
		if ro.ConfirmationID != first.ID || ro.Reason != "补报乙公司" || ro.UserName != "凌晓波" {
			t.Errorf("reopening = %+v", ro)
		}
		if _, err := s.Reopen(ctx, admin, "柯桥", "again"); !errors.Is(err, ErrNotConfirmed) {
			t.Errorf("second reopen: %v", err)
		}
		if confs, _ := s.Confirmations(ctx); len(confs) != 0 {
			t.Errorf("confirmations after reopen = %v", confs)
		}
		if _, err := s.Record(ctx, staff, []Change{named("柯桥", Tutoring, 1, "乙公司")}); err != nil {
			t.Errorf("staff change after reopen: %v", err)
		}
		s.Now = func() time.Time { return testNow.Add(time.Minute) }
		second, err := s.Confirm(ctx, staff, "柯桥", 0)
		if err != nil {
			t.Fatalf("confirm after reopen: %v", err)
		}
		if second.After != ro.ID {
			t.Errorf("second confirmation follows %d, want %d", second.After, ro.ID)
		}
		confs, _ := s.Confirmations(ctx)
		reos, _ := s.Reopenings(ctx)
		if confs["柯桥"].ID != second.ID || reos["柯桥"].ID != ro.ID {
			t.Errorf("confirmations %v, reopenings %v", confs, reos)
		}
	})
}

// A database of the schema before /reopen had one confirmation per county,
// unique: the start drops that index, and a reopened county confirms again.
func TestMigrateDropsUniqueConfirmation(t *testing.T) {
	for _, ts := range testStores() {
		t.Run(ts.name, func(t *testing.T) {
			cfg := ts.config(t)
			s := openConfig(t, cfg)
			if err := s.db.Exec("CREATE UNIQUE INDEX idx_confirmations_county ON confirmations (county)").Error; err != nil {
				t.Fatal(err)
			}
			s.Close()
			s = openConfig(t, cfg)
			if s.db.Migrator().HasIndex(&Confirmation{}, "idx_confirmations_county") {
				t.Fatal("old unique index still there")
			}
			ctx := context.Background()
			a := Author{UserID: 1, Name: "凌晓波", Admin: true}
			if _, err := s.Confirm(ctx, a, "柯桥", 0); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Reopen(ctx, a, "柯桥", "补报"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Confirm(ctx, a, "柯桥", 0); err != nil {
				t.Errorf("confirm after reopen on a migrated database: %v", err)
			}
		})
	}
}
