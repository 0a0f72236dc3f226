package telegram

import (
	"context"
	"html"
	"log/slog"
	"strings"
	"unicode/utf8"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"tsbot/bot"
)

// How a bot.Reply is shown the Telegram way: the document with its caption,
// the text in pieces, the buttons, an edit of the pressed message.

// maxCallbackData is Telegram's limit on a button's data, in bytes.
const maxCallbackData = 64

// reply queues r for the chat. It never waits for the network.
func (t *Adapter) reply(chatID int64, replyTo int, r bot.Reply) {
	t.queueReply(chatID, replyTo, r, 0, false, resend{})
}

// maxCaption is Telegram's limit on a document's caption, in characters.
const maxCaption = 1024

// queueReply queues the Bot API calls that show r: the document or photo
// with the text as its caption, the text in pieces, and, for the pressed message
// press, the edit: r in its place (Replace), or its keyboard cleared. With
// wait it returns a channel for each call that counts (clearing a keyboard
// does not: the message may be gone or unchanged); without, nil.
// resend says what of a message went out before: skip its first parts
// (the document, the photo, then the text's pieces, in order) and mark the first one
// sent now 补发 (it, or the whole, may have gone out before a crash).
type resend struct {
	skip   int
	marked bool
}

// resentMark is the mark on a message sent again.
const resentMark = "（补发）"

func (t *Adapter) queueReply(chatID int64, replyTo int, r bot.Reply, press int, wait bool, again resend) []chan error {
	var dones []chan error
	// Waited for, the parts are chained: one failed stops those after it,
	// which the retry sends from it.
	var ps *parts
	if wait {
		ps = &parts{}
	}
	part := 0 // the index of the part being queued
	// mark returns the text of the first part sent now, marked if resent.
	mark := func(text string) string {
		if again.marked {
			again.marked = false
			return resentMark + text
		}
		return text
	}
	// A file or a picture goes first, the reply as its caption: each is
	// one part.
	for _, f := range []struct {
		d     *bot.Document
		photo bool
	}{{r.Document, false}, {r.Photo, true}} {
		if f.d == nil {
			continue
		}
		var done chan error
		if wait {
			done = make(chan error, 1)
		}
		caption := captionOf(&r, f.d.Name)
		if part >= again.skip {
			enqueue := t.send.enqueueDocument
			if f.photo {
				enqueue = t.send.enqueuePhoto
			}
			if err := enqueue(chatID, f.d.Name, f.d.Data, mark(caption), done, ps); err != nil {
				t.log.Error("telegram: document not queued", slog.Int64("chat_id", chatID), slog.Bool("photo", f.photo), slog.Any("err", err))
			}
			if done != nil {
				dones = append(dones, done)
			}
		}
		part++
	}
	replace := r.Replace && press != 0 && strings.TrimSpace(r.Text) != ""
	if r.ClearKeyboard && press != 0 && !replace {
		// The buttons under the pressed message have done their job.
		_ = t.send.enqueue(chatID, job{method: "editMessageReplyMarkup", do: func(ctx context.Context) error {
			_, err := t.api.EditMessageReplyMarkup(ctx, &tgbot.EditMessageReplyMarkupParams{ChatID: chatID, MessageID: press})
			return err
		}})
	}
	if strings.TrimSpace(r.Text) == "" {
		return dones
	}
	markup := t.keyboard(chatID, r.Buttons)
	// The pieces are cut the same way at every attempt (room is left for
	// the 补发 mark), so that a resend can skip those that went out.
	limit := maxText - len([]rune(resentMark))*2
	if r.Pre {
		limit -= 200 // room for <pre></pre> and the escaping
	}
	chunks := split(r.Text, limit)
	for i, c := range chunks {
		if part < again.skip {
			part++
			continue
		}
		part++
		p := &tgbot.SendMessageParams{ChatID: chatID, Text: mark(c)}
		if r.Pre {
			p.Text = "<pre>" + html.EscapeString(p.Text) + "</pre>"
			p.ParseMode = models.ParseModeHTML
		}
		if i == 0 {
			p.ReplyParameters = quote(replyTo)
		}
		if i == len(chunks)-1 {
			p.ReplyMarkup = markup
		}
		var done chan error
		if i == 0 && replace {
			// In place of the pressed message, its keyboard replaced too;
			// a new message if that one can no longer be edited.
			e := &tgbot.EditMessageTextParams{ChatID: chatID, MessageID: press, Text: p.Text, ParseMode: p.ParseMode}
			if i == len(chunks)-1 {
				e.ReplyMarkup = markup
			}
			done = t.send.enqueueEdit(chatID, e, p, wait, ps)
		} else {
			done = t.send.enqueueMessage(chatID, p, wait, ps)
		}
		if done != nil {
			dones = append(dones, done)
		}
	}
	return dones
}

// keyboard is the inline keyboard of a reply's buttons; nil for none.
func (t *Adapter) keyboard(chatID int64, buttons []bot.Button) models.ReplyMarkup {
	if len(buttons) == 0 {
		return nil
	}
	kb := &models.InlineKeyboardMarkup{}
	for _, b := range buttons {
		if len(b.Data) > maxCallbackData {
			t.log.Error("telegram: button data too long, button left out", slog.Int64("chat_id", chatID), slog.String("data", b.Data))
			continue
		}
		kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{{Text: b.Label, CallbackData: b.Data}})
	}
	if len(kb.InlineKeyboard) == 0 {
		return nil
	}
	return kb
}

// captionOf is what a file says of itself: the reply, which then needs no
// message of its own, unless too long for a caption or with buttons (then
// its first line, and the text follows); the file's name when there is no
// reply.
func captionOf(r *bot.Reply, name string) string {
	caption := strings.TrimSpace(r.Text)
	if utf8.RuneCountInString(caption) <= maxCaption && len(r.Buttons) == 0 {
		r.Text = ""
	} else {
		caption = short(caption)
	}
	if caption == "" {
		caption = name
	}
	return caption
}
