package data

import (
	"context"
	"errors"
	"testing"
)

func TestBindings(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		by := Author{UserID: 1, Name: "凌晓波"}
		if _, err := s.Unbind(ctx, -1, by); !errors.Is(err, ErrNotBound) {
			t.Errorf("unbind of a chat never bound: %v", err)
		}
		if _, err := s.Bind(ctx, "柯桥", -1, by); err != nil {
			t.Fatal(err)
		}
		// A group serves one county: binding it to another moves it.
		if before, err := s.Bind(ctx, "越城", -1, by); err != nil || before != "柯桥" {
			t.Errorf("rebind: %q, %v", before, err)
		}
		if _, err := s.Bind(ctx, "柯桥", -2, by); err != nil {
			t.Fatal(err)
		}
		moved, err := s.Migrate(ctx, -2, -1002)
		if err != nil || len(moved) != 1 || moved[0] != "柯桥" {
			t.Errorf("migrate: %v, %v", moved, err)
		}
		if county, err := s.Unbind(ctx, -1, by); err != nil || county != "越城" {
			t.Errorf("unbind: %q, %v", county, err)
		}
		b, err := s.Bindings(ctx)
		if err != nil || len(b) != 1 || b["柯桥"] != -1002 {
			t.Errorf("bindings = %v, %v", b, err)
		}
	})
}
