package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"tsbot/data"
)

// Once per delivery. A channel that can deliver a message or a press twice
// (Telegram: a replay after a crash, a webhook retry, two instances) names
// it: Channel and UpdateID. The handler then
//   - answers a delivery it has a receipt for with nothing at all: no second
//     effect, no second judgement against newer data, no second reply (the
//     first is in the outbox, and goes out from there if it had not);
//   - stores the receipt and the reply in the transaction of the write the
//     delivery makes, or in one of their own when it writes nothing;
//   - returns the reply marked Stored: the channel sends it from the outbox.
// Silence (group chatter not meant for the bot) is not stored: it depends on
// the text alone, and a redelivery is silent again.

// delivery is one keyed delivery while it is handled.
type delivery struct {
	key     string
	channel string
	chatID  int64
	replyTo int64 // the message a group reply quotes
	press   int64 // the pressed message, for a reply that clears its buttons
	// answered: a write or a question stored the reply; outcome: what the
	// delivery did, for its receipt.
	answered bool
	outcome  string
	// lease: the channel sends the reply itself (Message.Lease); row is
	// the reply's outbox row, as the last store of it left it.
	lease time.Duration
	row   data.OutboxMessage
}

// leased notes that the channel sends the stored reply itself.
func (d *delivery) leased(lease time.Duration) {
	if d != nil {
		d.lease = lease
	}
}

// base is the Answer of this delivery with outcome, before its reply.
func (d *delivery) base(outcome string) data.Answer {
	return data.Answer{Key: d.key, Outcome: outcome, Channel: d.channel, ChatID: d.chatID, Lease: d.lease, Queued: &d.row}
}

// stored marks r as stored, with the row to send at once when the channel
// sends it itself.
func (d *delivery) stored(r Reply) Reply {
	r.Stored = true
	if d.lease > 0 && d.row.ID != 0 {
		row := d.row
		r.Outbox = &row
	}
	return r
}

// Outgoing is what the outbox carries for a channel: the reply and where it
// goes. It is stored encoded, and read back by the channel that sends it.
type Outgoing struct {
	Reply   Reply `json:"reply"`
	ReplyTo int64 `json:"reply_to,omitempty"`
	// Press is the message whose buttons ClearKeyboard removes, or which
	// a Replace reply takes the place of.
	Press int64 `json:"press,omitempty"`
}

// DecodeOutgoing reads a body the handler stored.
func DecodeOutgoing(body []byte) (Outgoing, error) {
	var o Outgoing
	if err := json.Unmarshal(body, &o); err != nil {
		return o, fmt.Errorf("outbox: decode: %w", err)
	}
	return o, nil
}

// EncodeOutgoing encodes a message for the outbox (a reminder, say).
func EncodeOutgoing(o Outgoing) []byte {
	b, _ := json.Marshal(o) // a Reply always encodes
	return b
}

// begin starts a keyed delivery. It returns nil for a source without ids
// (the console), and done with the reply when the delivery was handled
// before or the look-up failed.
//
// lookup says to look the receipt up first: for commands, edits and
// presses, whose handling may act beyond the ledger (a roster change, a
// digest sent) or costs a document. A plain message is not looked up: all it
// does is write, ask or answer, and each of those stores the receipt in its
// own transaction, whose unique key turns a second delivery into a no-op
// (ErrHandled) without the extra read on the busiest path.
func (h *Handler) begin(ctx context.Context, channel string, updateID int64, deliveryID string, chatID, replyTo, press int64, lookup bool) (d *delivery, r Reply, done bool) {
	if channel == "" || (updateID == 0 && deliveryID == "") {
		return nil, Reply{}, false
	}
	id := deliveryID // a channel with string ids (DingTalk's msgId): the id itself
	if id == "" {
		id = strconv.FormatInt(updateID, 10)
	}
	d = &delivery{key: channel + ":" + id, channel: channel, chatID: chatID, replyTo: replyTo, press: press}
	if !lookup {
		return d, Reply{}, false
	}
	seen, err := h.Store.Handled(ctx, d.key)
	if err != nil {
		h.Log.Error("receipt lookup failed", slog.String("key", d.key), slog.Any("err", err))
		return nil, Reply{Text: msgNotSaved, Retry: true}, true
	}
	if seen {
		h.Log.Info("delivery seen before, nothing done", slog.String("channel", channel), slog.String("key", d.key))
		return nil, replayed(), true
	}
	return d, Reply{}, false
}

// replayed is the answer to a delivery handled before: nothing, since its
// reply is in the outbox already.
func replayed() Reply { return Reply{Stored: true} }

// draft encodes r as this delivery's outgoing message.
func (d *delivery) draft(r Reply) data.Draft {
	if r.Alert || (r.Text == "" && r.Document == nil && r.Photo == nil && !r.ClearKeyboard) {
		return data.Draft{} // an alert is shown to the presser at once, never stored
	}
	o := Outgoing{Reply: r, ReplyTo: d.replyTo}
	if r.ClearKeyboard || r.Replace {
		o.Press = d.press
	}
	var buttons []string
	for _, b := range r.Buttons {
		buttons = append(buttons, b.Data)
	}
	return data.Draft{Body: EncodeOutgoing(o), Buttons: buttons}
}

// answer is the Answer a write carries, with its reply rendered from the
// write's outcome; nil for a delivery without id.
func (d *delivery) answer(reply func(data.Outcome) Reply) *data.Answer {
	if d == nil {
		return nil
	}
	a := d.base(data.ReceiptWritten)
	a.Draft = func(out data.Outcome) data.Draft { return d.draft(reply(out)) }
	return &a
}

// wrote notes that a write stored the reply with itself.
func (d *delivery) wrote(out data.Outcome) {
	if d != nil && out.Answered {
		d.answered = true
	}
}

// refused notes that a requested change was refused.
func (d *delivery) refused() {
	if d != nil && d.outcome == "" {
		d.outcome = data.ReceiptRefused
	}
}

// settle stores the receipt and the reply of a delivery that has not stored
// them with a write.
func (h *Handler) settle(ctx context.Context, d *delivery, r Reply) Reply {
	if d == nil || r.Retry || r.Stored || r.Alert {
		return r
	}
	if d.answered {
		return d.stored(r)
	}
	draft := d.draft(r)
	if len(draft.Body) == 0 {
		return r // silence
	}
	outcome := d.outcome
	if outcome == "" {
		outcome = data.ReceiptAnswered
	}
	a := d.base(outcome)
	a.Draft = func(data.Outcome) data.Draft { return draft }
	d.row = data.OutboxMessage{} // only the row stored now is this reply's
	err := h.Store.Answer(ctx, a)
	switch {
	case errors.Is(err, data.ErrHandled):
		return replayed()
	case err != nil:
		h.Log.Error("reply not stored", slog.String("key", d.key), slog.Any("err", err))
		return Reply{Text: msgNotSaved, Retry: true}
	}
	return d.stored(r)
}
