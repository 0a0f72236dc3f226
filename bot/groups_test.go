package bot

import (
	"context"
	"testing"
)

func TestGroupBindCommands(t *testing.T) {
	f := newFixture(t)
	in := func(user int64, text string) Reply {
		return f.send(Message{UserID: user, ChatID: group, Group: true, Addressed: true, Text: text})
	}
	in(keqiao, "/chatid")
	f.say(keqiao, "/chatid")
	in(keqiao, "/bind 柯桥")
	f.say(admin, "/bind 柯桥")
	in(admin, "/unbind")
	in(admin, "/bind")
	in(admin, "/bind 杭州")
	in(admin, "/bind 柯桥")
	in(admin, "/bind 越城")
	in(admin, "/unbind")
	f.golden("groups")
	if b, err := f.store.Bindings(context.Background()); err != nil || len(b) != 0 {
		t.Errorf("bindings = %v, %v", b, err)
	}
}
