package telegram_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/go-telegram/bot/models"

	"tsbot/bot/telegramtest"
	"tsbot/data"
)

// /invite gives a deep link naming the bot as getMe said; opening it once
// adds the opener and tells the admin; a second opening is refused.
func TestTelegramInviteLink(t *testing.T) {
	f := newFixture(t,
		data.Person{UserID: alice.ID, Role: data.RoleCounty, County: "柯桥", Name: "Alice"},
		data.Person{UserID: carol.ID, Role: data.RoleAdmin, Name: "Carol"})
	f.start()
	admin := telegramtest.PrivateChat(carol)
	f.srv.SendText(carol, admin, "/invite 柯桥 王五")
	r := f.waitReply(t, admin.ID, 1)
	m := regexp.MustCompile(`https://t\.me/` + telegramtest.BotUsername + `\?start=([a-z0-9]+)`).FindStringSubmatch(r.Params["text"])
	if m == nil {
		t.Fatalf("no link naming the bot in %q", r.Params["text"])
	}
	dave := models.User{ID: 1004, FirstName: "Dave"}
	chat := telegramtest.PrivateChat(dave)
	f.srv.SendText(dave, chat, "/start "+m[1]) // what Telegram sends for the link
	f.waitText(t, chat.ID, "欢迎，王五！已为您登记：")
	f.waitText(t, admin.ID, "✅ 邀请已使用：区县填报员 柯桥 王五\n（用户ID 1004）已登记。")
	p, err := f.store.Person(context.Background(), dave.ID)
	if err != nil || p.County != "柯桥" {
		t.Fatalf("Dave: %+v, %v", p, err)
	}
	eve := models.User{ID: 1005, FirstName: "Eve"}
	f.srv.SendText(eve, telegramtest.PrivateChat(eve), "/start "+m[1])
	f.waitText(t, eve.ID, "这个邀请链接已经用过了。")
}
