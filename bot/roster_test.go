package bot

import (
	"context"
	"testing"

	"tsbot/data"
)

// The console's stand-in admin cannot take the last real admin off the
// roster, nor demote them: the reply says why, and the admin stays.
func TestRemoveUserKeepsTheLastAdmin(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.store.SavePerson(ctx, data.Person{UserID: ConsoleUser, Role: data.RoleAdmin, Name: "控制台"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ text, want string }{
		{"/removeuser 100", "不能移除最后一名管理员。请先添加另一位管理员。"},
		{"/adduser 100 viewer", "不能降低最后一名管理员的权限。请先添加另一位管理员。"},
	} {
		if r := f.say(ConsoleUser, tc.text); r.Text != tc.want {
			t.Errorf("%s: %q, want %q", tc.text, r.Text, tc.want)
		}
	}
	if p, err := f.store.Person(ctx, admin); err != nil || p.Role != data.RoleAdmin {
		t.Errorf("admin after the refusals: %+v, %v", p, err)
	}
}
