package bot

// Groups that set themselves up: when the bot is added to a group it says
// how to bind it (/bind 柯桥), and tells the admins; a group that became a
// supergroup keeps its binding; a reminder to a chat that is gone is
// reported to the admins once.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"tsbot/data"
)

// Membership is a change of the bot's place in a chat, whatever the
// transport: added to a group, removed from it, or the group moved to a new
// id (a Telegram group that became a supergroup).
type Membership struct {
	Channel  string
	UpdateID int64
	ChatID   int64
	Title    string
	ByUserID int64 // who added or removed the bot
	Joined   bool
	Left     bool
	// MigratedTo is the group's new chat id; 0 when it did not move.
	MigratedTo int64
}

// noticeFor is how long a notice to other chats is tried.
const noticeFor = 24 * time.Hour

// HandleMembership answers a membership change: notices go to the outbox
// (the channel sends them); a redelivered change queues nothing again.
func (h *Handler) HandleMembership(ctx context.Context, ev Membership) error {
	switch {
	case ev.MigratedTo != 0:
		moved, err := h.Store.Migrate(ctx, ev.ChatID, ev.MigratedTo)
		if err != nil {
			return fmt.Errorf("bot: migrate chat %d: %w", ev.ChatID, err)
		}
		h.Log.Info("group migrated", slog.Int64("chat_id", ev.ChatID), slog.Int64("new_chat_id", ev.MigratedTo), slog.Any("counties", moved))
		for _, county := range moved {
			text := fmt.Sprintf("群“%s”已升级为超级群，\n%s的提醒改发到新群（ID %d）。", ev.Title, county, ev.MigratedTo)
			if err := h.tellAdmins(ctx, ev.Channel, fmt.Sprintf("migrated:%d:%s", ev.ChatID, county), text); err != nil {
				return err
			}
		}
	case ev.Joined:
		h.Log.Info("added to a group", slog.Int64("chat_id", ev.ChatID), slog.Int64("by", ev.ByUserID))
		key := "joined:" + strconv.FormatInt(ev.ChatID, 10) + ":" + strconv.FormatInt(ev.UpdateID, 10)
		if err := h.notice(ctx, ev.Channel, key, ev.ChatID, joinedText(ev.ChatID)); err != nil {
			return err
		}
		text := fmt.Sprintf("机器人已加入群“%s”\n（ID %d）。\n请在该群里发：/bind 区县\n例如：/bind 柯桥\n此后该区县的提醒发到该群。", ev.Title, ev.ChatID)
		return h.tellAdmins(ctx, ev.Channel, key, text)
	case ev.Left:
		h.Log.Warn("removed from a group", slog.Int64("chat_id", ev.ChatID), slog.Int64("by", ev.ByUserID))
	}
	return nil
}

func joinedText(chatID int64) string {
	return fmt.Sprintf("您好！我是商业秘密保护进度助手。\n请市局管理员在本群发：\n/bind 柯桥（换成本群的区县）\n此后该区县的提醒发到本群。\n本群ID：%d", chatID)
}

// ChatGone reports, once per chat, a reminder that could not reach a chat
// that no longer exists or no longer has the bot.
func (h *Handler) ChatGone(ctx context.Context, channel string, chatID int64) error {
	who := ""
	if b, err := h.Store.Bindings(ctx); err == nil {
		for county, id := range b {
			if id == chatID {
				who = "（" + county + "）"
			}
		}
	}
	for _, co := range h.Campaign.Counties {
		if who == "" && co.ChatID == chatID {
			who = "（" + co.Name + "）"
		}
	}
	text := fmt.Sprintf("⚠️ 提醒发不到聊天 %d%s：\n群已解散或机器人已被移出。\n请在新群里发 /bind 区县，\n或修改配置的 chat_id。", chatID, who)
	return h.tellAdmins(ctx, channel, "chat_gone:"+strconv.FormatInt(chatID, 10), text)
}

// tellAdmins queues text for every admin's private chat, once per key.
func (h *Handler) tellAdmins(ctx context.Context, channel, key, text string) error {
	people, err := h.Store.People(ctx)
	if err != nil {
		return fmt.Errorf("bot: admins: %w", err)
	}
	for _, p := range people {
		if p.Role == data.RoleAdmin && p.UserID > 0 {
			if err := h.notice(ctx, channel, key, p.UserID, text); err != nil {
				return err
			}
		}
	}
	return nil
}

// notice queues text for chatID under key: a key is queued once per chat.
func (h *Handler) notice(ctx context.Context, channel, key string, chatID int64, text string) error {
	if channel == "" {
		return nil // the console has no other chats
	}
	body := EncodeOutgoing(Outgoing{Reply: Reply{Text: text}})
	if _, err := h.Store.QueueReminder(ctx, key, chatID, channel, body, h.Now().Add(noticeFor)); err != nil {
		return fmt.Errorf("bot: notice %s: %w", key, err)
	}
	return nil
}

// groups answers /bind 区县, /unbind and /chatid.
func (h *Handler) groups(ctx context.Context, m Message, p data.Person, name string, args []string) Reply {
	if name == "chatid" {
		if m.Group {
			return Reply{Text: fmt.Sprintf("本群ID：%d", m.ChatID)}
		}
		return Reply{Text: fmt.Sprintf("本聊天ID：%d（即您的用户ID）", m.ChatID)}
	}
	if p.Role != data.RoleAdmin {
		return Reply{Text: "只有市局管理员可以绑定群。"}
	}
	if !m.Group {
		return Reply{Text: "请在区县的工作群里发这条命令，\n例如在柯桥的群里发：/bind 柯桥"}
	}
	by := authorAs(m, p)
	if name == "unbind" {
		county, err := h.Store.Unbind(ctx, m.ChatID, by)
		if errors.Is(err, data.ErrNotBound) {
			return Reply{Text: "本群没有绑定区县。"}
		}
		if err != nil {
			return h.controlFailed(err)
		}
		h.Log.Info("group unbound", slog.Int64("chat_id", m.ChatID), slog.String("county", county), slog.Int64("by", m.UserID))
		return Reply{Text: fmt.Sprintf("已解除本群与%s的绑定。\n%s的提醒改按配置发送。", county, county)}
	}
	if len(args) != 1 {
		return Reply{Text: "用法：/bind 区县，例如：/bind 柯桥"}
	}
	co, ok := h.Campaign.County(args[0])
	if !ok {
		return Reply{Text: noSuchCounty(h.Campaign, args[0])}
	}
	before, err := h.Store.Bind(ctx, co.Name, m.ChatID, by)
	if err != nil {
		return h.controlFailed(err)
	}
	h.Log.Info("group bound", slog.Int64("chat_id", m.ChatID), slog.String("county", co.Name), slog.Int64("by", m.UserID))
	text := fmt.Sprintf("✅ 本群已绑定%s：\n%s的提醒从此发到本群。\n解除请发：/unbind", co.Name, co.Name)
	if before != "" {
		text += fmt.Sprintf("\n（本群原绑定%s，已解除）", before)
	}
	return Reply{Text: text}
}
