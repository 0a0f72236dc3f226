package channels

// How a reminder goes out on the channel its chat is on: at once (tsbot
// remind, /remindnow without an outbox), or queued in that channel's outbox
// (run). jobs declares what it needs (jobs.Notifier, jobs.Queue); these
// meet it in data's types.

import (
	"context"
	"errors"
	"fmt"
	"time"

	tgbot "github.com/go-telegram/bot"

	"tsbot/bot"
	"tsbot/bot/dingtalk"
	"tsbot/bot/telegram"
	"tsbot/data"
)

// Notifier sends a reminder at once on the channel its chat is on; a
// channel that is off refuses (data.ErrUnreachable).
type Notifier struct {
	tg *telegram.Sender
	dt *dingtalk.Adapter
}

// NewNotifier sends on the channels given (nil: off). Telegram's sender
// paces the messages within Telegram's limits and retries 429 and 5xx.
func NewNotifier(tg *telegram.Sender, dt *dingtalk.Adapter) Notifier {
	return Notifier{tg: tg, dt: dt}
}

// Notify sends text to chatID. A 403 (the bot was blocked or removed from
// the group) is final: data.ErrUnreachable.
func (n Notifier) Notify(ctx context.Context, chatID int64, text string) error {
	if data.IsDingTalkChat(chatID) {
		if n.dt == nil {
			return fmt.Errorf("%w: chat %d is on DingTalk, which is off", data.ErrUnreachable, chatID)
		}
		return n.dt.Send(ctx, chatID, text)
	}
	if n.tg == nil {
		return fmt.Errorf("%w: chat %d is on Telegram, which is off", data.ErrUnreachable, chatID)
	}
	err := n.tg.Send(ctx, chatID, text)
	if errors.Is(err, tgbot.ErrorForbidden) {
		return fmt.Errorf("%w: %w", data.ErrUnreachable, err)
	}
	return err
}

// Queue queues reminders in the outbox of the channel their chat is on:
// each claim and its outbox row in one transaction; the channel's outbox
// sends it, retries within the day and records the outcome.
type Queue struct {
	Notifier
	tg *telegram.Adapter
}

// NewQueue queues on the channels that run (nil: off).
func NewQueue(tg *telegram.Adapter, dt *dingtalk.Adapter) Queue {
	q := Queue{Notifier{dt: dt}, tg}
	if tg != nil {
		q.Notifier.tg = tg.Sender()
	}
	return q
}

// QueueReminder claims reminder key for chatID and queues its text, and the
// picture if any, in the chat's channel's outbox. False: claimed before.
func (q Queue) QueueReminder(ctx context.Context, key string, chatID int64, text string, pic *data.File, expires time.Time) (bool, error) {
	r := bot.Reply{Text: text, Photo: pic}
	switch {
	case data.IsDingTalkChat(chatID) && q.dt != nil:
		return q.dt.QueueReply(ctx, key, chatID, r, expires)
	case !data.IsDingTalkChat(chatID) && q.tg != nil:
		return q.tg.QueueReply(ctx, key, chatID, r, expires)
	}
	return false, fmt.Errorf("reminders: chat %d is on a channel that is off", chatID)
}
