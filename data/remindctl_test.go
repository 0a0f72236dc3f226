package data

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestReminderControls(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		by := ReminderControl{UserID: 1, UserName: "凌晓波"}
		st, err := s.ReminderState(ctx, testNow)
		if err != nil || st.Paused || len(st.Skipped) != 0 {
			t.Fatalf("fresh state = %+v, %v", st, err)
		}
		until := testNow.Add(48 * time.Hour)
		pause, skip := by, by
		pause.Action, pause.Until = ControlPause, &until
		skip.Action, skip.Key = ControlSkip, "county_nag:2027-09-30:d-3:柯桥"
		for _, c := range []ReminderControl{pause, skip} {
			if err := s.ControlReminders(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		st, _ = s.ReminderState(ctx, testNow)
		if !st.Paused || !st.PausedUntil.Equal(until) || !st.Skipped[skip.Key] {
			t.Errorf("state = %+v", st)
		}
		if st, _ := s.ReminderState(ctx, until); st.Paused {
			t.Error("still paused at its end")
		}
		resume := by
		resume.Action = ControlResume
		if err := s.ControlReminders(ctx, resume); err != nil {
			t.Fatal(err)
		}
		if st, _ := s.ReminderState(ctx, testNow); st.Paused || !st.Skipped[skip.Key] {
			t.Errorf("after resume = %+v", st)
		}
		nudge := by
		nudge.Key = "柯桥"
		if err := s.Nudge(ctx, nudge, time.Hour); err != nil {
			t.Fatal(err)
		}
		var soon *TooSoonError
		if err := s.Nudge(ctx, nudge, time.Hour); !errors.As(err, &soon) || soon.County != "柯桥" {
			t.Errorf("second nudge: %v", err)
		}
		other := nudge
		other.Key = "越城"
		if err := s.Nudge(ctx, other, time.Hour); err != nil {
			t.Errorf("another county: %v", err)
		}
		s.Now = func() time.Time { return testNow.Add(time.Hour + time.Second) }
		if err := s.Nudge(ctx, nudge, time.Hour); err != nil {
			t.Errorf("an hour later: %v", err)
		}
	})
}
