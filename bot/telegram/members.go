package telegram

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"tsbot/bot"
)

// membership turns the bot's own my_chat_member update, or a group's
// migrate_to_chat_id, into the handler's bot.Membership; false: neither.
func membership(u *models.Update) (bot.Membership, bool) {
	switch {
	case u.MyChatMember != nil:
		cm := u.MyChatMember
		if cm.Chat.Type != models.ChatTypeGroup && cm.Chat.Type != models.ChatTypeSupergroup {
			return bot.Membership{}, false // a private chat: /start says hello
		}
		ev := bot.Membership{Channel: Name, UpdateID: u.ID, ChatID: cm.Chat.ID, Title: cm.Chat.Title, ByUserID: cm.From.ID}
		in := func(t models.ChatMemberType) bool {
			return t == models.ChatMemberTypeMember || t == models.ChatMemberTypeAdministrator || t == models.ChatMemberTypeOwner || t == models.ChatMemberTypeRestricted
		}
		switch was, now := in(cm.OldChatMember.Type), in(cm.NewChatMember.Type); {
		case now && !was:
			ev.Joined = true
		case was && !now:
			ev.Left = true
		default:
			return bot.Membership{}, false // promoted, restricted: nothing to say
		}
		return ev, true
	case u.Message != nil && u.Message.MigrateToChatID != 0:
		m := u.Message
		return bot.Membership{Channel: Name, UpdateID: u.ID, ChatID: m.Chat.ID, Title: m.Chat.Title, MigratedTo: m.MigrateToChatID}, true
	}
	return bot.Membership{}, false
}

// handleMembership hands a membership change to the handler; false: the
// database failed, and the update is tried again.
func (t *Adapter) handleMembership(ctx context.Context, ev bot.Membership) bool {
	if err := t.h.HandleMembership(ctx, ev); err != nil {
		t.log.Error("telegram: membership not handled", slog.Int64("update_id", ev.UpdateID), slog.Int64("chat_id", ev.ChatID), slog.Any("err", err))
		return false
	}
	t.outbox.poke()
	return true
}

// chatGone is a send refused because the chat is not there for the bot
// (deleted, the bot removed or blocked).
func chatGone(err error) bool {
	return errors.Is(err, tgbot.ErrorForbidden) ||
		(errors.Is(err, tgbot.ErrorBadRequest) && strings.Contains(strings.ToLower(err.Error()), "chat not found"))
}
