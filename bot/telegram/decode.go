package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/go-telegram/bot/models"

	"tsbot/bot"
)

// Each update is decoded on its own. go-telegram/bot's models reject some
// updates Telegram sends (a forward_origin of a type they do not know, a
// field whose JSON type changed: go-telegram/bot issues #90, #125); decoding
// a whole getUpdates batch at once then fails the batch, the offset never
// passes it, and polling is stuck for good. An update the models cannot
// decode is acknowledged and skipped instead, and its sender, when the
// little read without the models says who it is, is told to send it again
// as text.

// inbound is one update as it came from Telegram.
type inbound struct {
	ID  int64
	u   *models.Update // nil: the models could not decode it
	err error          // why not
	msg *envMessage    // message or edited_message, as far as it could be read
}

// envelope is what is read of an update without go-telegram/bot's models.
type envelope struct {
	UpdateID      int64           `json:"update_id"`
	Message       json.RawMessage `json:"message"`
	EditedMessage json.RawMessage `json:"edited_message"`
}

type envMessage struct {
	MessageID int `json:"message_id"`
	Chat      struct {
		ID   int64  `json:"id"`
		Type string `json:"type"`
	} `json:"chat"`
	From *struct {
		ID    int64 `json:"id"`
		IsBot bool  `json:"is_bot"`
	} `json:"from"`
	Text           string `json:"text"`
	Caption        string `json:"caption"`
	ReplyToMessage *struct {
		From *struct {
			ID int64 `json:"id"`
		} `json:"from"`
	} `json:"reply_to_message"`
	// Bot API 7.0 replaced forward_from, forward_from_chat,
	// forward_sender_name and forward_date by forward_origin; the models
	// have only the new one, but an older Bot API server sends the old.
	ForwardOrigin     json.RawMessage `json:"forward_origin"`
	ForwardFrom       json.RawMessage `json:"forward_from"`
	ForwardFromChat   json.RawMessage `json:"forward_from_chat"`
	ForwardSenderName json.RawMessage `json:"forward_sender_name"`
	ForwardDate       json.RawMessage `json:"forward_date"`
}

// forwarded says whether the message is a forward, in either form.
func (m *envMessage) forwarded() bool {
	if m == nil {
		return false
	}
	for _, f := range []json.RawMessage{m.ForwardOrigin, m.ForwardFrom, m.ForwardFromChat, m.ForwardSenderName, m.ForwardDate} {
		if len(f) > 0 && !bytes.Equal(f, []byte("null")) {
			return true
		}
	}
	return false
}

// decodeUpdate reads one update. It fails only when not even the update id
// can be read; an update the models cannot decode comes back with u nil.
func decodeUpdate(raw []byte) (inbound, error) {
	var env envelope
	if err := lenient(json.Unmarshal(raw, &env)); err != nil {
		return inbound{}, fmt.Errorf("telegram: update: %w", err)
	}
	if env.UpdateID == 0 {
		return inbound{}, errors.New("telegram: update: no update_id")
	}
	in := inbound{ID: env.UpdateID}
	for _, m := range []json.RawMessage{env.Message, env.EditedMessage} {
		var em envMessage
		if len(m) > 0 && lenient(json.Unmarshal(m, &em)) == nil {
			in.msg = &em
			break
		}
	}
	var u models.Update
	if err := json.Unmarshal(raw, &u); err != nil {
		in.err = err
		return in, nil
	}
	in.u = &u
	return in, nil
}

// lenient lets a field of an unexpected JSON type pass: encoding/json still
// fills every other field.
func lenient(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return nil
	}
	return err
}

// chat is the chat the update belongs to, for ordering.
func (in inbound) chat() int64 {
	if in.u != nil {
		return updateChat(in.u)
	}
	if in.msg != nil {
		return in.msg.Chat.ID
	}
	return 0
}

// unreadable logs an update the models could not decode and hands what
// could be read of it to the handler, which tells the sender (in a private
// chat, or when a group message is addressed to the bot) and keeps the
// receipt: the notice goes out once, in the chat's order.
func (t *Adapter) unreadable(ctx context.Context, in inbound) {
	t.log.Warn("telegram: update not readable, skipped", slog.Int64("update_id", in.ID), slog.Any("err", in.err))
	m := in.msg
	if m == nil || m.From == nil || m.From.IsBot || m.Chat.ID == 0 {
		return
	}
	hm := bot.Message{Channel: Name, UpdateID: in.ID, UserID: m.From.ID, ChatID: m.Chat.ID,
		MessageID: int64(m.MessageID), Forwarded: m.forwarded(), Unreadable: true, Lease: t.opts.OutboxLease}
	switch models.ChatType(m.Chat.Type) {
	case models.ChatTypePrivate:
	case models.ChatTypeGroup, models.ChatTypeSupergroup:
		_, mentioned := stripMention(m.Text+" "+m.Caption, t.botTag)
		toBot := m.ReplyToMessage != nil && m.ReplyToMessage.From != nil && m.ReplyToMessage.From.ID == t.botID
		hm.Group, hm.Addressed = true, mentioned || toBot
	default:
		return
	}
	replyTo := 0
	if hm.Group {
		replyTo = m.MessageID
	}
	t.deliver(m.Chat.ID, replyTo, t.h.Handle(ctx, hm))
}
