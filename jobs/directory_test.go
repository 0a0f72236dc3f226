package jobs

import (
	"context"
	"slices"
	"testing"

	"tsbot/data"
)

// channels is a Directory as main's is over two channels: a person's chats
// per channel they use, a county's groups per channel that has one.
type channels struct {
	people map[int64][]int64
	groups map[string][]int64
}

func (c channels) PersonChats(ctx context.Context, p data.Person) ([]int64, error) {
	if chats, ok := c.people[p.UserID]; ok {
		return chats, nil
	}
	return []int64{p.UserID}, nil
}

func (c channels) GroupChats(ctx context.Context, county string, chatID int64) ([]int64, error) {
	if chats, ok := c.groups[county]; ok {
		return chats, nil
	}
	if chatID != 0 {
		return []int64{chatID}, nil
	}
	return nil, nil
}

// With a Directory, a reminder goes to every chat it names, each claimed
// once: the admin on both channels, a county's groups on both channels
// instead of its staff, staff on no channel that is on left out, a county
// with only a custom robot to the robot; a second pass sends nothing.
func TestDirectoryFansOutPerChannel(t *testing.T) {
	f := newFixture(t, nil)
	now := local("2027-09-22 09:00")
	const dt = data.FirstDingTalkChatID
	rec := &recorder{}
	r := f.runner(t, rec, now)
	dir := channels{
		people: map[int64][]int64{admin: {admin, dt}, 2002: nil},
		groups: map[string][]int64{"柯桥": {keqiaoChat, dt - 1}, "上虞": {dt - 2}},
	}
	r.SetDirectory(dir)
	mustRun(t, r, now)
	want := []int64{admin, dt, 2001, keqiaoChat, dt - 1, dt - 2, 4001, 5001, 6001}
	if got := chats(rec.messages()); !slices.Equal(got, want) {
		t.Fatalf("sent to %v, want %v", got, want)
	}
	mustRun(t, r, now)
	f.restart(t)
	r2 := f.runner(t, rec, now)
	r2.SetDirectory(dir)
	mustRun(t, r2, now)
	if n := len(rec.messages()); n != len(want) {
		t.Errorf("%d messages in all, want %d", n, len(want))
	}
}
