package bot

import (
	"context"
	"strings"
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

// Telegram display names are nicknames (u1001); the history, /list and the
// sign-off show the roster's name, for rows written now (the name written
// with the batch) and for rows written before under the nickname.
func TestRosterNameShownNotTelegramName(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// Written before: by 张三 (200) under the nickname, confirmed too.
	old := data.Author{UserID: keqiao, Name: "u1001", ChatID: keqiao, MessageID: 1}
	if _, err := f.store.Record(ctx, old, []data.Change{{County: "柯桥", Indicator: data.Tutoring, Amount: 1, Names: []string{"甲纺织有限公司"}, Line: "柯桥 辅导企业 +1 甲纺织有限公司"}}); err != nil {
		t.Fatal(err)
	}
	// Written now, through the handler, by the same person under the nickname.
	r := f.h.Handle(ctx, Message{UserID: keqiao, UserName: "u1001", ChatID: keqiao, MessageID: 2, UpdateID: 2, Text: "柯桥 市县级示范站 +1 柯桥印染示范点"})
	if !strings.Contains(r.Text, "✅ 已记录") {
		t.Fatalf("update: %q", r.Text)
	}
	if b, err := f.store.History(ctx, "柯桥", 1); err != nil || len(b) != 1 || b[0].UserName != "张三" {
		t.Errorf("the entry written now: %+v, %v; want the name 张三", b, err)
	}
	if _, err := f.store.Confirm(ctx, old, "柯桥", 0); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"/history 柯桥", "/list 柯桥"} {
		r := f.h.Handle(ctx, Message{UserID: keqiao, UserName: "u1001", ChatID: keqiao, MessageID: 3, Text: cmd})
		if strings.Contains(r.Text, "u1001") || !strings.Contains(r.Text, "张三") {
			t.Errorf("%s shows the Telegram name, not the roster's:\n%s", cmd, r.Text)
		}
	}
	r = f.h.Handle(ctx, Message{UserID: keqiao, UserName: "u1001", ChatID: keqiao, MessageID: 4, Text: "/confirm"})
	if strings.Contains(r.Text, "u1001") || !strings.Contains(r.Text, "张三") {
		t.Errorf("/confirm again shows the Telegram name:\n%s", r.Text)
	}
}
