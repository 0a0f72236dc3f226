package bot

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"tsbot/data"
)

// Typed answers. On a channel whose buttons cannot come back as presses
// (DingTalk's ActionCard buttons are links), every button has a typed form
// (Button.Typed): a question's readings are answered by their number ("1",
// "回复 2"), the undo of an update by "撤销". A typed answer goes to the
// sender's newest question, or update, in that chat, and obeys the rules of
// a press: an answer from someone else, or a second answer, changes nothing
// and says why.

// TypedUndo is what to type to take back an update (or an import).
const TypedUndo = "撤销"

// typedWindow is how long a question waits for a typed answer.
const typedWindow = 24 * time.Hour

// typedAnswer handles text that is the typed form of a button; ok is false
// for any other text, which is handled as usual.
func (h *Handler) typedAnswer(ctx context.Context, m Message, text string) (Reply, bool) {
	s := strings.TrimSpace(data.FoldWidth(text))
	s = strings.TrimPrefix(s, "回复")
	s = strings.TrimPrefix(s, "选")
	s = strings.TrimSpace(strings.TrimRight(s, "。.！!"))
	if s == TypedUndo {
		p, err := h.person(ctx, m.UserID)
		if err != nil {
			return h.rosterReply(m, err), true
		}
		b, err := h.Store.LastUpdateIn(ctx, m.UserID, m.ChatID)
		if errors.Is(err, data.ErrNotFound) {
			return Reply{Text: "没有可撤销的记录。"}, true
		}
		if err != nil {
			h.Log.Error("last update lookup failed", slog.Int64("user_id", m.UserID), slog.Any("err", err))
			return Reply{Text: msgNotSaved, Retry: true}, true
		}
		return h.undo(ctx, m, p, b.ID), true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 9 {
		return Reply{}, false
	}
	since := h.Now().Add(-typedWindow)
	c, err := h.Store.LatestChoice(ctx, m.ChatID, m.UserID, since)
	if errors.Is(err, data.ErrNotFound) {
		// Someone else's open question in this chat: say whose it is to
		// answer; otherwise the number is not an answer.
		if _, oerr := h.Store.LatestChoice(ctx, m.ChatID, 0, since); oerr == nil {
			return Reply{Text: "只有发这条消息的人可以选择。"}, true
		}
		return Reply{}, false
	}
	if err != nil {
		h.Log.Error("question lookup failed", slog.Int64("chat_id", m.ChatID), slog.Any("err", err))
		return Reply{Text: msgNotSaved, Retry: true}, true
	}
	p, err := h.person(ctx, m.UserID)
	if err != nil {
		return h.rosterReply(m, err), true
	}
	if c.ClosedAt != nil {
		return Reply{Text: msgChoiceClosed}, true
	}
	if n > len(c.Options) {
		return Reply{Text: "请回复 " + typedNumbers(len(c.Options)) + "。"}, true
	}
	return h.choose(ctx, m, p, c.ID, n-1), true
}

// typedNumbers is "1 或 2" (or "1、2 或 3").
func typedNumbers(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		switch {
		case i == 1:
		case i == n:
			b.WriteString(" 或 ")
		default:
			b.WriteString("、")
		}
		b.WriteString(strconv.Itoa(i))
	}
	return b.String()
}
