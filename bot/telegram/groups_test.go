package telegram_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"tsbot/bot/telegramtest"
	"tsbot/data"
)

func (f *fixture) waitText(t *testing.T, chatID int64, prefix string) {
	t.Helper()
	err := f.srv.Wait(waitCtx(t), func() bool {
		for _, c := range f.sent(chatID) {
			if strings.HasPrefix(c.Params["text"], prefix) {
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("no message %q… in chat %d: %v", prefix, chatID, texts(f.sent(chatID)))
	}
}

func (f *fixture) bound(t *testing.T) map[string]int64 {
	t.Helper()
	b, err := f.store.Bindings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Added to a group, the bot says how to bind it, there and to the admins;
// /bind 柯桥 binds it, a reminder for the bound chat reaches it, and the
// group becoming a supergroup moves the binding. A reminder to a chat that
// is gone is reported to the admins once.
func TestTelegramGroupSetsItselfUp(t *testing.T) {
	f := newFixture(t,
		data.Person{UserID: alice.ID, Role: data.RoleCounty, County: "柯桥", Name: "Alice"},
		data.Person{UserID: carol.ID, Role: data.RoleAdmin, Name: "Carol"})
	group := telegramtest.GroupChat(-4001, "柯桥工作群")
	admin := telegramtest.PrivateChat(carol)
	f.srv.AddChat(group)
	f.srv.AddChat(admin)
	f.start()
	bot := telegramtest.BotUser
	f.srv.SendRawUpdate(fmt.Sprintf(`{"my_chat_member": {"chat": {"id": -4001, "type": "group", "title": "柯桥工作群"},
		"from": {"id": %d, "is_bot": false, "first_name": "Carol"}, "date": 1,
		"old_chat_member": {"status": "left", "user": {"id": %d, "is_bot": true, "first_name": "bot"}},
		"new_chat_member": {"status": "member", "user": {"id": %d, "is_bot": true, "first_name": "bot"}}}}`, carol.ID, bot.ID, bot.ID))
	f.waitText(t, group.ID, "您好！我是商业秘密保护进度助手。\n请市局管理员在本群发：\n/bind 柯桥")
	f.waitText(t, admin.ID, "机器人已加入群“柯桥工作群”")

	f.srv.SendText(alice, group, "/bind 柯桥")
	f.waitText(t, group.ID, "只有市局管理员可以绑定群。")
	f.srv.SendText(carol, group, "/chatid")
	f.waitText(t, group.ID, "本群ID：-4001")
	f.srv.SendText(carol, group, "/bind 柯桥")
	f.waitText(t, group.ID, "✅ 本群已绑定柯桥")
	if b := f.bound(t); b["柯桥"] != group.ID {
		t.Fatalf("bindings = %v", b)
	}
	ctx := context.Background()
	if _, err := f.tg.QueueReminder(ctx, "county_nag:test:柯桥", f.bound(t)["柯桥"], "【柯桥】提醒", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	f.waitText(t, group.ID, "【柯桥】提醒")

	super := telegramtest.SupergroupChat(-1004001, "柯桥工作群")
	f.srv.AddChat(super)
	f.srv.SendRawUpdate(fmt.Sprintf(`{"message": {"message_id": 99, "date": 1, "chat": {"id": -4001, "type": "group", "title": "柯桥工作群"},
		"from": {"id": %d, "is_bot": false, "first_name": "Carol"}, "migrate_to_chat_id": -1004001}}`, carol.ID))
	f.waitText(t, admin.ID, "群“柯桥工作群”已升级为超级群，\n柯桥的提醒改发到新群（ID -1004001）。")
	if b := f.bound(t); b["柯桥"] != super.ID {
		t.Fatalf("after the migration: %v", b)
	}

	for i := range 2 {
		if _, err := f.tg.QueueReminder(ctx, fmt.Sprintf("county_nag:gone%d:柯桥", i), -4999, "【柯桥】提醒", time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	f.waitText(t, admin.ID, "⚠️ 提醒发不到聊天 -4999")
	f.srv.SendText(carol, admin, "/whoami") // a marker: the notices are out before its reply
	f.waitText(t, admin.ID, "用户ID 1003")
	n := 0
	for _, c := range f.sent(admin.ID) {
		if strings.HasPrefix(c.Params["text"], "⚠️ 提醒发不到聊天") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d chat-gone notices, want 1: %v", n, texts(f.sent(admin.ID)))
	}
	f.srv.SendText(carol, super, "/unbind")
	f.waitText(t, super.ID, "已解除本群与柯桥的绑定。")
}
