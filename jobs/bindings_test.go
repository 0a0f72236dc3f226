package jobs

import (
	"context"
	"slices"
	"testing"

	"tsbot/data"
)

// A group bound from chat (/bind) takes a county's reminders, over the
// config's chat_id and over its staff.
func TestRunAtSendsToTheBoundGroup(t *testing.T) {
	f := newFixture(t, nil)
	now := local("2027-09-22 09:00")
	ctx := context.Background()
	if _, err := f.store.Bind(ctx, "柯桥", -777, data.Author{UserID: admin}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Bind(ctx, "上虞", -888, data.Author{UserID: admin}); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	mustRun(t, f.runner(t, rec, now), now)
	want := []int64{admin, 2001, 2002, -777, -888, 4001, 5001, 6001}
	if got := chats(rec.messages()); !slices.Equal(got, want) {
		t.Errorf("sent to %v, want %v", got, want)
	}
}
