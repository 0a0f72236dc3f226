package data

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestInvites(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		by := Author{UserID: 1, Name: "凌晓波"}
		inv, err := s.CreateInvite(ctx, Person{Role: RoleCounty, County: "柯桥", Name: "王五"}, by)
		if err != nil || len(inv.Code) < 16 || !inv.ExpiresAt.Equal(testNow.Add(InviteFor)) {
			t.Fatalf("invite %+v, %v", inv, err)
		}
		if _, _, err := s.UseInvite(ctx, "nosuch", 7, "x"); !errors.Is(err, ErrInviteUnknown) {
			t.Errorf("unknown: %v", err)
		}
		got, p, err := s.UseInvite(ctx, inv.Code, 7, "tg name")
		if err != nil || got.ID != inv.ID || p.Name != "王五" || p.County != "柯桥" {
			t.Fatalf("use: %+v %+v %v", got, p, err)
		}
		if _, _, err := s.UseInvite(ctx, inv.Code, 8, "y"); !errors.Is(err, ErrInviteUsed) {
			t.Errorf("second use: %v", err)
		}
		late, _ := s.CreateInvite(ctx, Person{Role: RoleViewer}, by)
		s.Now = func() time.Time { return testNow.Add(InviteFor) }
		if _, _, err := s.UseInvite(ctx, late.Code, 8, "y"); !errors.Is(err, ErrInviteExpired) {
			t.Errorf("expired: %v", err)
		}
		s.Now = func() time.Time { return testNow }
		again, _ := s.CreateInvite(ctx, Person{Role: RoleViewer}, by)
		if _, _, err := s.UseInvite(ctx, again.Code, 7, "y"); !errors.Is(err, ErrOnRoster) {
			t.Errorf("already on the roster: %v", err)
		}
	})
}
