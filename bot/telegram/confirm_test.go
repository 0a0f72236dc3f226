package telegram_test

import (
	"context"
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"

	"tsbot/bot/telegramtest"
	"tsbot/data"
)

var carol = models.User{ID: 1003, FirstName: "Carol"} // the city's admin

// /confirm previews, only the press confirms; the admin reopens with a reason.
func TestTelegramConfirmPreviewPressReopen(t *testing.T) {
	f := newFixture(t,
		data.Person{UserID: alice.ID, Role: data.RoleCounty, County: "柯桥", Name: "Alice"},
		data.Person{UserID: carol.ID, Role: data.RoleAdmin, Name: "Carol"})
	f.start()
	chat := telegramtest.PrivateChat(alice)
	f.srv.SendText(alice, chat, "柯桥 辅导企业 +1 甲公司")
	f.waitReply(t, chat.ID, 1)
	f.srv.SendText(alice, chat, "/confirm")
	preview := f.waitReply(t, chat.ID, 2)
	if !strings.HasPrefix(preview.Params["text"], "柯桥 报送前核对") {
		t.Fatalf("preview = %q", preview.Params["text"])
	}
	if f.isConfirmed(t) {
		t.Fatal("/confirm confirmed before the press")
	}
	bs := buttons(preview)
	if len(bs) != 1 || !strings.HasPrefix(bs[0].CallbackData, "k:") {
		t.Fatalf("buttons = %+v", bs)
	}
	f.srv.PressButton(alice, chat, preview.Message.ID, bs[0].CallbackData)
	if r := f.waitReply(t, chat.ID, 3); !strings.HasPrefix(r.Params["text"], "✅ 已确认报送柯桥名单") {
		t.Errorf("after the press: %q", r.Params["text"])
	}
	if !f.isConfirmed(t) {
		t.Fatal("the press did not confirm")
	}
	admin := telegramtest.PrivateChat(carol)
	f.srv.SendText(carol, admin, "/reopen 柯桥 补报乙公司")
	if r := f.waitReply(t, admin.ID, 1); !strings.HasPrefix(r.Params["text"], "↩️ 已重新开放柯桥的名单") {
		t.Errorf("reopen: %q", r.Params["text"])
	}
	if f.isConfirmed(t) {
		t.Error("still confirmed after /reopen")
	}
	f.srv.SendText(alice, chat, "柯桥 辅导企业 +1 乙公司")
	if r := f.waitReply(t, chat.ID, 4); !strings.HasPrefix(r.Params["text"], "✅ 已记录") {
		t.Errorf("staff change after reopen: %q", r.Params["text"])
	}
}

func (f *fixture) isConfirmed(t *testing.T) bool {
	t.Helper()
	confs, err := f.store.Confirmations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, ok := confs["柯桥"]
	return ok
}
