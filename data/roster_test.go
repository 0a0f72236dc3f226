package data

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// Two admins removing (or demoting) each other at once, in one process or
// two on one database: exactly one succeeds, and one admin remains.
func TestLastAdminSurvivesConcurrentRemovals(t *testing.T) {
	for _, ts := range testStores() {
		t.Run(ts.name, func(t *testing.T) {
			cfg := ts.config(t)
			a, b := openConfig(t, cfg), openConfig(t, cfg)
			ctx := context.Background()
			// Odd rounds: both in one process, as two chats of one batch of
			// updates are handled; even rounds: in two processes.
			other := func(round int) *Store {
				if round%2 == 1 {
					return a
				}
				return b
			}
			ops := []struct {
				name string
				do   func(s *Store, target int64) error
			}{
				{"remove", func(s *Store, target int64) error { return s.RemovePerson(ctx, target) }},
				{"demote", func(s *Store, target int64) error {
					return s.SavePerson(ctx, Person{UserID: target, Role: RoleViewer})
				}},
			}
			for _, op := range ops {
				for round := range 8 {
					one, two := int64(1000+2*round), int64(1001+2*round)
					if op.name == "demote" {
						one, two = one+100, two+100
					}
					for _, id := range []int64{one, two} {
						if err := a.SavePerson(ctx, Person{UserID: id, Role: RoleAdmin, Name: fmt.Sprint(id)}); err != nil {
							t.Fatal(err)
						}
					}
					var wg sync.WaitGroup
					errs := make([]error, 2)
					start := make(chan struct{})
					for i, st := range []struct {
						s      *Store
						target int64
					}{{a, two}, {other(round), one}} {
						wg.Go(func() {
							<-start
							errs[i] = op.do(st.s, st.target)
						})
					}
					close(start)
					wg.Wait()
					var ok, refused int
					for _, err := range errs {
						switch {
						case err == nil:
							ok++
						case errors.Is(err, ErrLastAdmin):
							refused++
						default:
							t.Errorf("%s round %d: %v", op.name, round, err)
						}
					}
					if ok != 1 || refused != 1 {
						t.Errorf("%s round %d: %d succeeded, %d refused (%v); want one each", op.name, round, ok, refused, errs)
					}
					if n := admins(t, a); n != 1 {
						t.Fatalf("%s round %d: %d admins left, want 1", op.name, round, n)
					}
					// The one left is the last: removing it is refused too.
					for _, id := range []int64{one, two} {
						if err := a.RemovePerson(ctx, id); err != nil && !errors.Is(err, ErrLastAdmin) && !errors.Is(err, ErrNotFound) {
							t.Fatal(err)
						}
					}
					if n := admins(t, a); n != 1 {
						t.Fatalf("%s round %d: %d admins after removing the last, want 1", op.name, round, n)
					}
					// Clear the round: a fresh admin first, then the old one goes.
					if err := a.SavePerson(ctx, Person{UserID: 1, Role: RoleAdmin}); err != nil {
						t.Fatal(err)
					}
					for _, id := range []int64{one, two} {
						if err := a.RemovePerson(ctx, id); err != nil && !errors.Is(err, ErrNotFound) {
							t.Fatal(err)
						}
					}
					if err := a.ForceRemovePerson(ctx, 1); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
}

func admins(t *testing.T, s *Store) int {
	t.Helper()
	people, err := s.People(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range people {
		if p.Role == RoleAdmin {
			n++
		}
	}
	return n
}

// The last admin may be neither removed nor demoted; with a second admin
// both work. The console's stand-in (id -1) is no admin that remains.
func TestLastAdminRefused(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if err := s.SeedRoster(ctx, []Person{{UserID: -1, Role: RoleAdmin}, {UserID: 7, Role: RoleAdmin}, {UserID: 8, Role: RoleCounty, County: "柯桥"}}); err != nil {
			t.Fatal(err)
		}
		if err := s.RemovePerson(ctx, 7); !errors.Is(err, ErrLastAdmin) {
			t.Errorf("remove the last admin: %v, want ErrLastAdmin", err)
		}
		if err := s.SavePerson(ctx, Person{UserID: 7, Role: RoleCounty, County: "柯桥"}); !errors.Is(err, ErrLastAdmin) {
			t.Errorf("demote the last admin: %v, want ErrLastAdmin", err)
		}
		if err := s.SeedRoster(ctx, []Person{{UserID: 7, Role: RoleViewer}}); !errors.Is(err, ErrLastAdmin) {
			t.Errorf("a config demoting the last admin: %v, want ErrLastAdmin", err)
		}
		// A file that demotes one admin and names another is fine, in any order.
		if err := s.SeedRoster(ctx, []Person{{UserID: 7, Role: RoleViewer}, {UserID: 9, Role: RoleAdmin}}); err != nil {
			t.Errorf("a config handing the admin role on: %v", err)
		}
		if err := s.RemovePerson(ctx, 8); err != nil {
			t.Errorf("remove county staff: %v", err)
		}
		if err := s.ForceRemovePerson(ctx, -1); err != nil {
			t.Errorf("remove the console's stand-in: %v", err)
		}
		if p, err := s.Person(ctx, 9); err != nil || p.Role != RoleAdmin {
			t.Errorf("admin 9 = %+v, %v", p, err)
		}
	})
}

// RosterNames gives the roster's name of those who have one; others, and
// people no longer on the roster, keep the name their rows were written with.
func TestRosterNames(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if err := s.SeedRoster(ctx, []Person{{UserID: 1001, Role: RoleCounty, County: "柯桥", Name: "张三"}, {UserID: 1002, Role: RoleViewer}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Record(ctx, Author{UserID: 1001, Name: "u1001"}, []Change{add("柯桥", Tutoring, 1)}); err != nil {
			t.Fatal(err)
		}
		n, err := s.RosterNames(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			id            int64
			written, want string
		}{{1001, "u1001", "张三"}, {1002, "u1002", "u1002"}, {1003, "路人", "路人"}} {
			if got := n.Of(tc.id, tc.written); got != tc.want {
				t.Errorf("Of(%d, %q) = %q, want %q", tc.id, tc.written, got, tc.want)
			}
		}
		es, err := s.History(ctx, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		n.Entries(es)
		if len(es) != 1 || es[0].UserName != "张三" {
			t.Errorf("history = %+v, want 张三's entry", es)
		}
	})
}
