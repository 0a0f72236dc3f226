package telegram_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"

	"tsbot/bot/telegramtest"
	"tsbot/data"
)

// startIn starts the adapter by long polling, or as a webhook on a free
// loopback port. Updates injected before it come in once the bot asks
// (polling: in one batch) or once the webhook is set.
func (f *fixture) startIn(t *testing.T, mode string) {
	t.Helper()
	if mode == "webhook" {
		addr := freeAddr(t)
		f.cfg.Mode = "webhook"
		f.cfg.WebhookListen = addr
		f.cfg.WebhookURL = "http://" + addr + "/tg/hook"
		f.cfg.WebhookSecret = "s3cret_token-1"
	}
	f.start()
}

var modes = []string{"polling", "webhook"}

const (
	wantUnreadable = "⚠️ 这条消息无法识别，未记录。请重新发送文字，例如：柯桥 辅导企业 +3"
	wantForwarded  = "转发的消息不计入。如要填报，请自己发一条，例如：柯桥 辅导企业 +3"
)

// An update go-telegram/bot's models cannot decode once stopped polling for
// good (the whole batch failed to decode, the offset never passed it) and
// got a 400 from the webhook, which Telegram retries forever. Now it is
// skipped and acknowledged, its sender told when it was meant for the bot,
// and the updates after it are handled.
func TestTelegramUnreadableUpdatesSkipped(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			f := newFixture(t)
			private := telegramtest.PrivateChat(alice)
			group := telegramtest.GroupChat(-4001, "柯桥工作群")
			mention := "@" + telegramtest.BotUsername + " "
			wrongDate := map[string]any{"date": "yesterday"}

			f.srv.SendRawUpdate(`{"future_update_kind":{"chat":{"id":1001,"type":"private"},"x":[1,2,3]}}`)
			f.srv.SendRawUpdate(`{"edited_message":"not an object"}`)
			f.srv.SendTextWith(alice, private, "柯桥 辅导企业 +1", map[string]any{
				"future_field": map[string]any{"nested": []int{1, 2}}, "another_new_field": true,
			})
			f.srv.SendTextWith(alice, private, "柯桥 辅导企业 +5", map[string]any{
				"forward_origin": map[string]any{"type": "story_teller", "date": 1700000000},
			})
			bad, _ := f.srv.SendTextWith(alice, private, "柯桥 辅导企业 +7", wrongDate)
			f.srv.SendTextWith(alice, group, "柯桥 辅导企业 +9", wrongDate)
			_, mentioned := f.srv.SendTextWith(alice, group, mention+"柯桥 辅导企业 +11", wrongDate)
			f.srv.SendText(alice, private, "柯桥 辅导企业 +3")
			_, marker := f.srv.SendText(alice, group, "/whoami")
			f.startIn(t, mode)

			f.waitReply(t, private.ID, 4)
			f.waitReply(t, group.ID, 2)
			if err := f.srv.WaitPending(waitCtx(t), 0); err != nil {
				t.Fatalf("updates left unacknowledged: %d", f.srv.Pending())
			}
			f.stop()
			got := texts(f.sent(private.ID))
			if len(got) != 4 || !strings.HasPrefix(got[0], "✅ 已记录") || got[1] != wantForwarded ||
				got[2] != wantUnreadable || !strings.HasPrefix(got[3], "✅ 已记录") {
				t.Errorf("private replies = %q, want ✅ (unknown fields), the forward notice, the unreadable notice, ✅", got)
			}
			g := f.sent(group.ID)
			if len(g) != 2 || g[0].Params["text"] != wantUnreadable || quoted(g[0]) != mentioned || quoted(g[1]) != marker {
				t.Errorf("group replies = %q quoting %d, %d; want the unreadable notice to message %d only, then the marker %d",
					texts(g), quoted(g[0]), quoted(g[len(g)-1]), mentioned, marker)
			}
			if n := f.done_("柯桥", data.Tutoring); n != 4 {
				t.Errorf("柯桥 tutoring = %d, want 4 (+1 with unknown fields, +3)", n)
			}
			if logs := f.logs.String(); !strings.Contains(logs, "update not readable") || !strings.Contains(logs, "update_id="+strconv.FormatInt(bad, 10)) {
				t.Errorf("the skipped update was not logged with its update_id:\n%s", logs)
			}
		})
	}
}

// A forwarded report is someone else's message passed on: it never writes
// and is never taken as a command, whether Telegram marks it with
// forward_origin or (an older Bot API) forward_from and friends.
func TestTelegramForwardedNotCounted(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			f := newFixture(t)
			f.startIn(t, mode)
			private := telegramtest.PrivateChat(alice)
			group := telegramtest.GroupChat(-4001, "柯桥工作群")
			mention := "@" + telegramtest.BotUsername + " "
			fromUser := models.MessageOrigin{Type: models.MessageOriginTypeUser,
				MessageOriginUser: &models.MessageOriginUser{Date: 1700000000, SenderUser: bob}}
			hidden := func() models.MessageOrigin {
				return models.MessageOrigin{Type: models.MessageOriginTypeHiddenUser,
					MessageOriginHiddenUser: &models.MessageOriginHiddenUser{Date: 1700000000, SenderUserName: "王科长"}}
			}
			older := map[string]any{"forward_from": bob, "forward_date": 1700000000}
			tests := []struct {
				name  string
				send  func() int // the message id
				chat  models.Chat
				reply bool
			}{
				{name: "private, forward_origin", chat: private, reply: true, send: func() int {
					_, id := f.srv.ForwardText(alice, private, fromUser, "柯桥 辅导企业 +3")
					return id
				}},
				{name: "private, a forwarded command", chat: private, reply: true, send: func() int {
					_, id := f.srv.ForwardText(alice, private, hidden(), "/whoami")
					return id
				}},
				{name: "private, forward_from (older Bot API)", chat: private, reply: true, send: func() int {
					_, id := f.srv.SendTextWith(alice, private, "柯桥 辅导企业 +3", older)
					return id
				}},
				{name: "private, forward_sender_name only", chat: private, reply: true, send: func() int {
					_, id := f.srv.SendTextWith(alice, private, "柯桥 辅导企业 +3", map[string]any{"forward_sender_name": "王科长", "forward_date": 1700000000})
					return id
				}},
				{name: "group, not addressed", chat: group, send: func() int {
					_, id := f.srv.ForwardText(alice, group, hidden(), "柯桥 辅导企业 +3")
					return id
				}},
				{name: "group, forward_from, not addressed", chat: group, send: func() int {
					_, id := f.srv.SendTextWith(alice, group, "柯桥 辅导企业 +3", older)
					return id
				}},
				{name: "group, mentioning the bot", chat: group, reply: true, send: func() int {
					_, id := f.srv.ForwardText(alice, group, fromUser, mention+"柯桥 辅导企业 +3")
					return id
				}},
				{name: "group, forward_from, mentioning the bot", chat: group, reply: true, send: func() int {
					_, id := f.srv.SendTextWith(alice, group, mention+"柯桥 辅导企业 +3", older)
					return id
				}},
			}
			n := map[int64]int{}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					msgID := tt.send()
					// A marker after each message: replies come in order, so
					// when the marker's reply is there, the message's would be too.
					_, markID := f.srv.SendText(alice, tt.chat, "/whoami")
					if tt.reply {
						n[tt.chat.ID]++
						r := f.waitReply(t, tt.chat.ID, n[tt.chat.ID])
						if r.Params["text"] != wantForwarded {
							t.Errorf("reply = %q, want %q", r.Params["text"], wantForwarded)
						}
						if tt.chat.Type != models.ChatTypePrivate && quoted(r) != msgID {
							t.Errorf("reply quotes %d, want %d", quoted(r), msgID)
						}
					}
					n[tt.chat.ID]++
					if r := f.waitReply(t, tt.chat.ID, n[tt.chat.ID]); !strings.HasPrefix(r.Params["text"], "用户ID") {
						t.Errorf("got %q where the marker's reply was due (quoting %d, marker %d)", r.Params["text"], quoted(r), markID)
					}
					if got := f.done_("柯桥", data.Tutoring); got != 0 {
						t.Fatalf("柯桥 tutoring = %d after a forward, want 0", got)
					}
				})
			}
			// A message of one's own still counts.
			f.srv.SendText(alice, private, "柯桥 辅导企业 +3")
			n[private.ID]++
			if r := f.waitReply(t, private.ID, n[private.ID]); !strings.HasPrefix(r.Params["text"], "✅ 已记录") {
				t.Errorf("own message: reply %q", r.Params["text"])
			}
			if got := f.done_("柯桥", data.Tutoring); got != 3 {
				t.Errorf("柯桥 tutoring = %d, want 3", got)
			}
		})
	}
}
