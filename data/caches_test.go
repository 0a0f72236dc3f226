package data

import (
	"context"
	"errors"
	"testing"
)

// The roster and the standing confirmations are cached in each Store; a
// change through one instance is seen by another on the same database (two
// processes on one SQLite file, two instances on one PostgreSQL database),
// also when the other had the old state cached.
func TestCachesSeeAnotherInstance(t *testing.T) {
	for _, ts := range testStores() {
		t.Run(ts.name, func(t *testing.T) {
			cfg := ts.config(t)
			a, b := openConfig(t, cfg), openConfig(t, cfg)
			ctx := context.Background()
			if err := a.SavePerson(ctx, Person{UserID: 1, Role: RoleAdmin}); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Person(ctx, 7); !errors.Is(err, ErrNotFound) {
				t.Fatalf("before: err = %v, want not found", err) // b has cached a roster without 7
			}
			if err := a.SavePerson(ctx, Person{UserID: 7, Role: RoleCounty, County: "柯桥"}); err != nil {
				t.Fatal(err)
			}
			if p, err := b.Person(ctx, 7); err != nil || p.County != "柯桥" {
				t.Fatalf("after add: %+v, %v", p, err)
			}
			if err := a.SavePerson(ctx, Person{UserID: 7, Role: RoleViewer}); err != nil {
				t.Fatal(err)
			}
			if p, err := b.Person(ctx, 7); err != nil || p.Role != RoleViewer {
				t.Fatalf("after change: %+v, %v", p, err)
			}
			if err := a.RemovePerson(ctx, 7); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Person(ctx, 7); !errors.Is(err, ErrNotFound) {
				t.Fatalf("after removal: err = %v, want not found", err)
			}

			staff := Author{UserID: 7}
			if _, err := b.Record(ctx, staff, []Change{add("柯桥", Tutoring, 1)}); err != nil {
				t.Fatal(err) // b has cached "柯桥 not confirmed"
			}
			if _, err := a.Confirm(ctx, staff, "柯桥", 0); err != nil {
				t.Fatal(err)
			}
			var closed *ClosedError
			if _, err := b.Record(ctx, staff, []Change{add("柯桥", Tutoring, 1)}); !errors.As(err, &closed) || closed.Confirmed == nil {
				t.Fatalf("after a confirmation elsewhere: err = %v, want closed", err)
			}
			if _, err := a.Reopen(ctx, Author{UserID: 1}, "柯桥", "补录"); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Record(ctx, staff, []Change{add("柯桥", Tutoring, 1)}); err != nil {
				t.Fatalf("after a reopening elsewhere: %v", err)
			}
		})
	}
}
