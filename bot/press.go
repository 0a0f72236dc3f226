package bot

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"

	"tsbot/bot/grammar"
	"tsbot/data"
)

// Presses of the bot's buttons, and the questions and undos they answer.

// HandlePress answers a press of an inline button: undo, or the reading chosen
// for an ambiguous message. A button pressed twice, or by someone else,
// changes nothing and says why.
func (h *Handler) HandlePress(ctx context.Context, pr Press) (r Reply) {
	defer func() {
		if p := recover(); p != nil {
			h.Log.Error("panic in button handler", slog.Any("panic", p), slog.Int64("update_id", pr.UpdateID))
			r = Reply{Text: msgInternal}
		}
	}()
	replyTo := int64(0)
	if pr.Group {
		replyTo = pr.MessageID
	}
	d, r, done := h.begin(ctx, pr.Channel, pr.UpdateID, pr.DeliveryID, pr.ChatID, replyTo, pr.MessageID, true)
	if done {
		return r
	}
	d.leased(pr.Lease)
	return h.settle(ctx, d, h.press(ctx, pr, d))
}

func (h *Handler) press(ctx context.Context, pr Press, d *delivery) Reply {
	if pr.SenderID != "" {
		id, r, ok := h.resolveSender(ctx, pr.SenderID)
		if !ok {
			return r
		}
		pr.UserID = id
	}
	m := Message{UserID: pr.UserID, UserName: pr.UserName, ChatID: pr.ChatID, MessageID: pr.MessageID, once: d, pressed: true}
	p, err := h.person(ctx, pr.UserID)
	if err != nil {
		return m.refuse(h.rosterReply(Message{UserID: pr.UserID, SenderID: pr.SenderID}, err))
	}
	if pr.Channel != "" {
		// A press carries whatever data its sender's client put in it:
		// only a button the bot issued to this chat is acted on.
		ok, err := h.Store.Issued(ctx, pr.ChatID, pr.Data)
		if err != nil {
			h.Log.Error("button lookup failed", slog.Int64("chat_id", pr.ChatID), slog.Any("err", err))
			return Reply{Text: msgNotSaved, Retry: true}
		}
		if !ok {
			h.Log.Warn("press of a button the bot did not issue", slog.Int64("chat_id", pr.ChatID), slog.Int64("user_id", pr.UserID))
			return m.refuse(Reply{Text: msgStaleButton})
		}
	}
	kind, rest, _ := strings.Cut(pr.Data, ":")
	switch kind {
	case "u":
		id, err := strconv.ParseInt(rest, 10, 64)
		if err != nil || id <= 0 {
			return m.refuse(Reply{Text: msgStaleButton})
		}
		return h.undo(ctx, m, p, id)
	case "c":
		a, b, _ := strings.Cut(rest, ":")
		id, err1 := strconv.ParseInt(a, 10, 64)
		n, err2 := strconv.Atoi(b)
		if err1 != nil || err2 != nil || id <= 0 {
			return m.refuse(Reply{Text: msgStaleButton})
		}
		return h.choose(ctx, m, p, id, n)
	case "t":
		id, err := strconv.ParseInt(rest, 10, 64)
		if err != nil || id <= 0 {
			return m.refuse(Reply{Text: msgStaleButton})
		}
		m.UpdateID = pr.UpdateID // a redelivered press is recorded once
		return h.addToTutoring(ctx, m, p, id)
	case "im":
		id, err := strconv.ParseInt(rest, 10, 64)
		if err != nil || id <= 0 {
			return m.refuse(Reply{Text: msgStaleButton})
		}
		m.UpdateID = pr.UpdateID
		return h.importPress(ctx, m, p, id)
	case "k":
		id, err := strconv.ParseInt(rest, 10, 64)
		if err != nil || id <= 0 {
			return Reply{Text: msgStaleButton}
		}
		m.UpdateID = pr.UpdateID
		return h.confirmPress(ctx, m, p, id)
	}
	return m.refuse(Reply{Text: msgStaleButton})
}

func (h *Handler) choose(ctx context.Context, m Message, p data.Person, id int64, n int) Reply {
	c, err := h.Store.Choice(ctx, id)
	if errors.Is(err, data.ErrNotFound) || (err == nil && (n < 0 || n >= len(c.Options))) {
		return m.refuse(Reply{Text: msgStaleButton})
	}
	if err != nil {
		h.Log.Error("load choice failed", slog.Int64("choice_id", id), slog.Any("err", err))
		return m.refuse(Reply{Text: msgInternal})
	}
	if c.UserID != m.UserID {
		return m.refuse(Reply{Text: "只有发这条消息的人可以选择。"})
	}
	if c.ChatID != m.ChatID {
		return m.refuse(Reply{Text: msgStaleButton})
	}
	if c.ClosedAt != nil {
		return m.refuse(Reply{Text: msgChoiceClosed, ClearKeyboard: true})
	}
	if _, _, ok := data.ImportChoice(c); ok {
		return m.refuse(Reply{Text: msgStaleButton}) // 确认导入 is typed, never a number
	}
	m.MessageID = c.MessageID
	if names, ok := strings.CutPrefix(c.Options[n], optSameFirm); ok {
		return h.sameFirm(ctx, m, id, names)
	}
	m.Text = c.Options[n]
	m.choice = id // the write closes the question, and refuses if it was closed
	parsed, perr := grammar.Parse(c.Options[n], h.Campaign)
	var amb *grammar.Ambiguity
	if errors.As(perr, &amb) {
		// A message with two ambiguous parts: this answer settles the
		// first, and the next question gets buttons of its own.
		return h.ask(ctx, m, amb, "")
	}
	if perr != nil {
		return m.refuse(Reply{Text: perr.Error()})
	}
	// The choice id is also the batch's idempotency key: a second press of
	// any of its buttons finds the batch of the first and changes nothing.
	m.UpdateID = -id
	return h.record(ctx, m, p, parsed.Changes, false)
}

func (h *Handler) undo(ctx context.Context, m Message, p data.Person, batchID int64) Reply {
	if batchID != 0 {
		b, err := h.Store.Batch(ctx, batchID)
		if errors.Is(err, data.ErrNotFound) {
			return m.refuse(Reply{Text: "没有可撤销的记录。"})
		}
		if err != nil {
			h.Log.Error("load batch failed", slog.Int64("batch_id", batchID), slog.Any("err", err))
			return m.refuse(Reply{Text: msgInternal})
		}
		if b.UserID != m.UserID && p.Role != data.RoleAdmin {
			return m.refuse(Reply{Text: "只能撤销您自己填报的记录。"})
		}
	}
	if p.Role == data.RoleViewer {
		return m.refuse(Reply{Text: msgViewer})
	}
	reply := func(out data.Outcome) Reply {
		r := h.outcomeReply("↩️ 已撤销", out)
		r.Replace = true // the undone "✅ 已记录" becomes this
		return r
	}
	a := authorAs(m, p)
	a.Answer = m.once.answer(reply)
	out, err := h.Store.Undo(ctx, a, batchID)
	if r, failed := h.writeFailed(m, err); failed {
		return r
	}
	m.once.wrote(out)
	return reply(out)
}
