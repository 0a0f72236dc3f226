// Package bot is the conversation: the message grammar and the command
// handling, transport-free. Channels (bot/telegram; the console here) speak
// to it only through Message, Press and Reply, and send what it stored in
// the outbox.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"tsbot/bot/grammar"
	"tsbot/data"
)

// Message is one incoming chat message, whatever the transport.
type Message struct {
	// Channel names the transport ("telegram"); with UpdateID, the
	// transport's id of this delivery, it makes a redelivery a no-op (see
	// once.go). "" for the console.
	Channel  string
	UpdateID int64 // Telegram's update id; 0 where there is none
	// DeliveryID is the delivery's id where the channel's ids are strings
	// (DingTalk's msgId); when set it keys the delivery instead of UpdateID.
	DeliveryID string
	// SenderID is what the channel knows of the sender where it is not a
	// roster user id (DingTalk's staff id): the handler resolves it to the
	// person, and UserID to theirs, before anything else.
	SenderID  string
	UserID    int64
	UserName  string
	ChatID    int64
	MessageID int64
	Text      string
	// Group is true in a group chat, where chatter not meant for the bot is
	// ignored silently. Addressed is true there for a reply to the bot or a
	// mention of it.
	Group     bool
	Addressed bool
	Edited    bool // an edit of an earlier message
	// TypedAnswers says the channel's buttons cannot come back as presses
	// (DingTalk's are links): a question is answered by typing its number,
	// an undo by typing 撤销 (Button.Typed says what to type).
	TypedAnswers bool
	// Lease says the channel sends a stored reply itself, from
	// Reply.Outbox, as soon as Handle returns: the reply is stored leased
	// to this process for that long, so that no claim loop takes it
	// meanwhile (see data.Answer). 0: the channel's outbox loop claims it.
	Lease time.Duration

	once   *delivery // set by Handle for a keyed delivery
	choice int64     // the question this message answers (a press of its button)
	// Forwarded is a message forwarded from elsewhere: someone's report
	// passed on, never a report of the sender's own.
	Forwarded bool
	// Unreadable is a message the channel could not read (a shape its
	// library does not know): answered, never handled.
	Unreadable bool
	// File is a document sent with the message (a filled-in /template),
	// nil for none; Text is its caption.
	File *File
	// Working, if set, is told when the answer takes a while to build (a
	// document), so the channel can show the chat that something is coming.
	Working func(Work)

	pressed bool // the message stands for a press of a button
}

// Work is what the bot is busy building for a chat.
type Work int

// WorkDocument: a document (the /export spreadsheet) is being built.
const WorkDocument Work = 1

func (m Message) working(w Work) {
	if m.Working != nil {
		m.Working(w)
	}
}

// refuse marks r as a refusal of a press, for the presser alone (an alert,
// not a message to the chat); a refusal of a typed message is a reply.
func (m Message) refuse(r Reply) Reply {
	if m.pressed {
		r.Alert = true
	}
	return r
}

// Press is a press of one of the bot's inline buttons.
type Press struct {
	Channel    string // as in Message
	Group      bool   // the press is in a group chat
	UpdateID   int64
	DeliveryID string // as in Message
	SenderID   string // as in Message
	UserID     int64
	UserName   string
	ChatID     int64
	MessageID  int64 // the bot's message carrying the button
	Data       string
	Lease      time.Duration // as in Message
}

// Reply is what the bot answers. An empty Text means: say nothing.
type Reply struct {
	Text    string
	Pre     bool // Text is a table: show it in a fixed-width font
	Buttons []Button
	// Document, if set, is a file sent with the reply (the /export spreadsheet).
	Document *Document
	// Photo, if set, is a picture sent with the reply (the /chart PNG):
	// shown in the chat, where a document is a file to open.
	Photo *Document
	// ClearKeyboard, in answer to a button, says the buttons under the
	// pressed message have done their job (a question closed meanwhile).
	ClearKeyboard bool
	// Replace, in answer to a button, says the reply takes the place of the
	// message the button was under, its buttons included: after an undo the
	// "✅ 已记录" becomes "↩️ 已撤销"; a chosen reading replaces the
	// question with the result. Without a pressed message it is a new one.
	Replace bool
	// Alert says the reply is a refusal for the presser alone (someone
	// else's button, one pressed twice, a question closed): shown to them
	// and not to the chat, and not stored, since a second delivery of the
	// press is refused the same way.
	Alert bool
	// RosterChanged says the answer changed the roster (/adduser,
	// /removeuser): the channel refreshes what depends on who is who (the
	// command menus).
	RosterChanged bool `json:"-"`
	// Retry says the database failed and nothing was saved. A transport
	// that can take the message in again later (Telegram: by not
	// acknowledging the update) should do so rather than show Text.
	Retry bool
	// Stored says the reply is in the outbox (or was, for a delivery seen
	// before): the transport sends it from there, not from here.
	Stored bool
	// Outbox is the stored row of a reply to a delivery with a Lease: the
	// channel sends it at once and marks it sent, with no claim. nil for a
	// reply the outbox loop is to claim (a delivery seen before, no Lease).
	Outbox *data.OutboxMessage `json:"-"`
}

// Button is one inline button: a label and the data sent back when pressed.
type Button struct {
	Label string
	Data  string
	// Typed is what to type instead of pressing it ("1", "撤销"), where the
	// channel's buttons cannot come back (Message.TypedAnswers); "" for a
	// button that has no typed form.
	Typed string `json:",omitempty"`
}

// Handler answers messages. It holds no transport: Telegram and the console
// call the same Handle.
type Handler struct {
	Store    *data.Store
	Campaign *data.Campaign
	Log      *slog.Logger
	Now      func() time.Time
	// Reminders backs /reminders and /remindnow; nil: reminders are off.
	Reminders Reminders
	// Pictures draws /chart; the channels and the weekly digest may share one.
	Pictures *Pictures
	// botName is the channel's bot username, for invite links (SetBotUsername).
	botName atomic.Value
}

// Reminders is the reminder schedule as the commands see it (package jobs
// implements it; bot does not import jobs).
type Reminders interface {
	// Upcoming describes the next n reminder times after now, a line each,
	// starting with the id /skip takes ("#12 …").
	Upcoming(ctx context.Context, now time.Time, n int) []string
	// Resolve finds the reminder keys of an id Upcoming showed, still to come.
	Resolve(now time.Time, id int) (keys []string, line string, ok bool)
	// NudgeNow sends a one-off reminder to a county's chats (text, or its
	// gaps when ""), and says to how many; 0 with no error: nothing to say.
	NudgeNow(ctx context.Context, county, text string) (int, error)
	// SendDigestNow sends the contact person's digest and says to how many chats.
	SendDigestNow(ctx context.Context) (int, error)
}

// NewHandler builds a handler on a store and a campaign.
func NewHandler(store *data.Store, c *data.Campaign, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{Store: store, Campaign: c, Log: log, Now: time.Now, Pictures: &Pictures{}}
}

const (
	maxText     = 4096
	historySize = 10
	msgNotSaved = "⚠️ 未保存，请稍后重试。"
	msgInternal = "⚠️ 系统出错，请稍后重试。"
)

// msgForwarded answers a forwarded message: a report passed on would count
// the same work twice.
const msgForwarded = "转发的消息不计入。如要填报，请自己发一条，例如：柯桥 辅导企业 +3"

// msgUnreadable answers a message the channel could not read.
const msgUnreadable = "⚠️ 这条消息无法识别，未记录。请重新发送文字，例如：柯桥 辅导企业 +3"

// forwardedReply is the answer to a forwarded message, which is never
// handled as an update or a command: the rule, where the bot is spoken to;
// silence in a group otherwise.
func forwardedReply(m Message) Reply {
	if m.Group && !m.Addressed {
		return Reply{}
	}
	return Reply{Text: msgForwarded}
}

// Handle answers one message. It never panics on any input: a panic in a
// handler is turned into an internal-error reply and logged.
func (h *Handler) Handle(ctx context.Context, m Message) (r Reply) {
	defer func() {
		if p := recover(); p != nil {
			h.Log.Error("panic in handler", slog.Any("panic", p), slog.Int64("update_id", m.UpdateID))
			r = Reply{Text: msgInternal}
		}
	}()
	replyTo := int64(0)
	if m.Group {
		replyTo = m.MessageID
	}
	lookup := m.Edited || m.File != nil || strings.HasPrefix(strings.TrimSpace(m.Text), "/")
	d, r, done := h.begin(ctx, m.Channel, m.UpdateID, m.DeliveryID, m.ChatID, replyTo, 0, lookup)
	if done {
		return r
	}
	d.leased(m.Lease)
	m.once = d
	if m.SenderID != "" {
		id, r, ok := h.resolveSender(ctx, m.SenderID)
		if !ok {
			return h.settle(ctx, d, r)
		}
		m.UserID = id
	}
	return h.settle(ctx, d, h.handle(ctx, m))
}

// resolveSender is the one place a sender known by a channel's own id
// (DingTalk's staff id) becomes a roster user id: the person's. A stranger
// gets user id 0, and is told their staff id where the roster is consulted
// (rosterReply). It reports false with the reply when the roster could not
// be read.
func (h *Handler) resolveSender(ctx context.Context, senderID string) (int64, Reply, bool) {
	p, err := h.Store.PersonByDingTalk(ctx, senderID)
	switch {
	case err == nil:
		return p.UserID, Reply{}, true
	case errors.Is(err, data.ErrNotFound):
		return 0, Reply{}, true
	}
	h.Log.Error("roster lookup failed", slog.String("staff_id", senderID), slog.Any("err", err))
	return 0, Reply{Text: msgNotSaved, Retry: true}, false
}

func (h *Handler) handle(ctx context.Context, m Message) Reply {
	// An empty text is a sticker, a photo or a voice note: chatter, which
	// a private chat still answers.
	text := strings.TrimSpace(m.Text)
	if m.Forwarded {
		return forwardedReply(m)
	}
	if m.Unreadable {
		return h.quiet(m, msgUnreadable)
	}
	if m.File != nil {
		// An edit of a message with a file replaced the file (Telegram):
		// nothing was written before 确认导入, so it is read as a newer file.
		return h.importFile(ctx, m)
	}
	if strings.HasPrefix(text, "/") {
		return h.command(ctx, m, text)
	}
	if isTypedImport(text) && !m.Edited {
		return h.importTyped(ctx, m)
	}
	if m.TypedAnswers {
		if r, ok := h.typedAnswer(ctx, m, text); ok {
			return r
		}
	}
	if len(text) > maxText*4 || utf8.RuneCountInString(text) > maxText {
		return h.quiet(m, fmt.Sprintf("消息太长（超过%d字），请分几条发送。", maxText))
	}
	if county, ok := h.typedConfirm(text); ok && !m.Edited && (!m.Group || m.Addressed) {
		return h.confirmTyped(ctx, m, county)
	}
	parsed, perr := grammar.Parse(text, h.Campaign)
	if m.Edited {
		if r, ok := h.editNoLongerRecords(ctx, m, parsed, perr); ok {
			return r
		}
	}
	if perr == nil && parsed.Intent == grammar.Chatter {
		if m.Group && !m.Addressed {
			return Reply{}
		}
		p, err := h.person(ctx, m.UserID)
		if err != nil {
			return h.rosterReply(m, err)
		}
		if text == "" {
			return Reply{Text: "请发文字消息。\n" + hint(p)}
		}
		return Reply{Text: hint(p)}
	}
	p, err := h.person(ctx, m.UserID)
	if err != nil {
		return h.rosterReply(m, err)
	}
	var amb *grammar.Ambiguity
	switch {
	case errors.As(perr, &amb):
		if p.Role == data.RoleViewer {
			return Reply{Text: msgViewer}
		}
		return h.ask(ctx, m, amb, "")
	case perr != nil:
		return Reply{Text: perr.Error()}
	case parsed.Intent == grammar.Query:
		return h.status(ctx, parsed.County)
	}
	return h.record(ctx, m, p, parsed.Changes, m.Edited)
}

func (h *Handler) quiet(m Message, text string) Reply {
	if m.Group && !m.Addressed {
		return Reply{}
	}
	return Reply{Text: text}
}

func (h *Handler) person(ctx context.Context, userID int64) (data.Person, error) {
	return h.Store.Person(ctx, userID)
}

// rosterReply answers someone the roster does not know, or a lookup failure.
// They see their user id, so an admin can add them, and nothing else.
func (h *Handler) rosterReply(m Message, err error) Reply {
	if errors.Is(err, data.ErrNotFound) && m.SenderID != "" {
		return Reply{Text: fmt.Sprintf("您还没有登记，暂不能使用。请把您的钉钉员工ID %s 发给市局管理员，由其用 /adduser dt:%s 添加。", m.SenderID, m.SenderID)}
	}
	if errors.Is(err, data.ErrNotFound) {
		return Reply{Text: fmt.Sprintf("您还没有登记，暂不能使用。请把您的用户ID %d 发给市局管理员，由其用 /adduser 添加。", m.UserID)}
	}
	h.Log.Error("roster lookup failed", slog.Int64("user_id", m.UserID), slog.Any("err", err))
	return Reply{Text: msgInternal, Retry: true}
}

const msgViewer = "您是只读用户，只能查询，不能填报。"

// authorize fills in the writer's own county and checks they may write each change.
func authorize(p data.Person, changes []grammar.Change) ([]data.Change, string) {
	if p.Role == data.RoleViewer {
		return nil, msgViewer
	}
	out := make([]data.Change, 0, len(changes))
	for _, c := range changes {
		county := c.County
		if county == "" {
			if p.Role != data.RoleCounty {
				return nil, "请写明区县，例如：柯桥 辅导企业 +3"
			}
			county = p.County
		}
		if !p.CanWrite(county) {
			return nil, fmt.Sprintf("您只能填报%s的数据，不能填报%s。", p.County, county)
		}
		out = append(out, data.Change{County: county, Indicator: c.Indicator, Op: c.Op, Amount: c.Amount, Line: c.Line, Names: c.Names})
	}
	return out, ""
}

func author(m Message) data.Author {
	return data.Author{UserID: m.UserID, Name: m.UserName, ChatID: m.ChatID, MessageID: m.MessageID, UpdateID: m.UpdateID,
		Channel: m.Channel, MsgID: m.DeliveryID, Text: m.Text}
}

// record writes the changes of one message, all or nothing, and answers with
// the new totals. An edited message replaces what the original recorded.
func (h *Handler) record(ctx context.Context, m Message, p data.Person, changes []grammar.Change, edited bool) Reply {
	dc, refusal := authorize(p, changes)
	if refusal != "" {
		return m.refuse(Reply{Text: refusal})
	}
	reply := func(out data.Outcome) Reply {
		head := "✅ 已记录"
		switch {
		case out.Duplicate:
			head = "这条已记录过，未重复计数"
		case edited:
			head = "✏️ 已按修改后的消息更正"
		}
		r := h.outcomeReply(head, out)
		if m.choice != 0 {
			// Once the asker picked, the answer replaces the question.
			r.Replace = true
		}
		return r
	}
	a := authorAs(m, p)
	a.Answer, a.Choice = m.once.answer(reply), m.choice
	var out data.Outcome
	var err error
	if edited {
		out, err = h.Store.Replace(ctx, a, dc)
	} else {
		out, err = h.Store.Record(ctx, a, dc)
	}
	if r, asked := h.askNear(ctx, m, err, edited); asked {
		return r
	}
	if r, failed := h.writeFailed(m, err); failed {
		return r
	}
	m.once.wrote(out)
	return reply(out)
}

func (h *Handler) outcomeReply(head string, out data.Outcome) Reply {
	var b strings.Builder
	b.WriteString(head)
	seen := map[string]bool{}
	for _, e := range out.Effects {
		k := e.County + e.Indicator.Key()
		if seen[k] {
			continue
		}
		seen[k] = true
		b.WriteString("\n")
		b.WriteString(progressLine(h.Campaign, e.County, e.Indicator, e.Done))
	}
	b.WriteString(elsewhereText(h.Campaign, out.Elsewhere))
	r := Reply{Text: b.String()}
	if !out.Duplicate && len(out.Effects) > 0 && (out.Batch.Kind == data.KindUpdate || out.Batch.Kind == data.KindEdit) {
		r.Buttons = []Button{{Label: "撤销", Data: "u:" + strconv.FormatInt(out.Batch.ID, 10), Typed: TypedUndo}}
	}
	return r
}

// writeFailed turns a ledger error into the user's reply.
func (h *Handler) writeFailed(m Message, err error) (Reply, bool) {
	if err == nil {
		return Reply{}, false
	}
	switch {
	case errors.Is(err, data.ErrHandled):
		return replayed(), true
	case errors.Is(err, data.ErrChoiceClosed):
		m.once.refused()
		return m.refuse(Reply{Text: msgChoiceClosed, ClearKeyboard: true}), true
	}
	if r, ok := h.listFailed(err); ok {
		m.once.refused()
		return m.refuse(r), true
	}
	var bz *data.BelowZeroError
	if errors.As(err, &bz) || errors.Is(err, data.ErrAlreadyUndone) || errors.Is(err, data.ErrNotFound) {
		m.once.refused()
	}
	switch {
	case errors.As(err, &bz):
		return m.refuse(Reply{Text: fmt.Sprintf("未记录：%s %s 现有%d%s，%+d后会小于0。请核对后再发。",
			bz.County, bz.Indicator.Name(), bz.Done, bz.Indicator.Unit(), bz.Delta)}), true
	case errors.Is(err, data.ErrAlreadyUndone):
		return m.refuse(Reply{Text: "这条已经撤销过了，未重复撤销。"}), true
	case errors.Is(err, data.ErrNotFound):
		return m.refuse(Reply{Text: "没有可撤销的记录。"}), true
	}
	h.Log.Error("ledger write failed", slog.Int64("user_id", m.UserID), slog.Int64("chat_id", m.ChatID),
		slog.Int64("update_id", m.UpdateID), slog.Any("err", err))
	return Reply{Text: msgNotSaved, Retry: true}, true
}

// msgChoiceClosed answers a press on a question that was answered, or
// replaced by a newer one (the message was edited, or asked again).
const msgChoiceClosed = "这个问题已经回答过或已失效，未重复记录。"

// ask stores the readings of an ambiguous message and offers them as
// buttons. prefix goes before the question (what an edit reverted); closes
// is the question this one follows from, or 0.
func (h *Handler) ask(ctx context.Context, m Message, amb *grammar.Ambiguity, prefix string) Reply {
	question := func(id int64) Reply {
		// A question that follows from a chosen reading replaces the first.
		r := Reply{Text: prefix + amb.Error(), Replace: m.choice != 0}
		for i, label := range amb.Labels {
			r.Buttons = append(r.Buttons, Button{Label: label, Data: fmt.Sprintf("c:%d:%d", id, i), Typed: strconv.Itoa(i + 1)})
		}
		return r
	}
	c := data.Choice{UserID: m.UserID, ChatID: m.ChatID, MessageID: m.MessageID, Options: amb.Options}
	var a data.Answer
	var draft func(int64) data.Draft
	if d := m.once; d != nil {
		a = d.base(data.ReceiptAsked)
		draft = func(id int64) data.Draft { return d.draft(question(id)) }
	}
	id, err := h.Store.Ask(ctx, c, m.choice, a, draft)
	switch {
	case errors.Is(err, data.ErrHandled):
		return replayed()
	case errors.Is(err, data.ErrChoiceClosed):
		m.once.refused()
		return m.refuse(Reply{Text: msgChoiceClosed, ClearKeyboard: true})
	case err != nil:
		// A question without its buttons cannot be answered: say it was
		// not taken, so that the transport tries the message again.
		h.Log.Error("save choice failed", slog.Int64("user_id", m.UserID), slog.Int64("update_id", m.UpdateID), slog.Any("err", err))
		return Reply{Text: msgNotSaved, Retry: true}
	}
	if m.once != nil {
		m.once.answered = true
	}
	return question(id)
}

const msgStaleButton = "按钮已失效。"

// editNoLongerRecords handles an edited message that no longer reads as an
// update (a typo, chatter, a question, an ambiguity): what the original
// recorded is reverted, so the ledger always follows the message as it reads
// now. It reports false when there was nothing to revert, and the edit is
// then answered like any new message.
func (h *Handler) editNoLongerRecords(ctx context.Context, m Message, parsed grammar.Parsed, perr error) (Reply, bool) {
	if perr == nil && parsed.Intent == grammar.Update {
		return Reply{}, false
	}
	p, err := h.person(ctx, m.UserID)
	if err != nil || p.Role == data.RoleViewer {
		return Reply{}, false
	}
	var amb *grammar.Ambiguity
	asks := errors.As(perr, &amb)
	reply := func(out data.Outcome) Reply {
		if len(out.Effects) == 0 {
			return Reply{} // nothing reverted: answered like a new message
		}
		if out.Duplicate {
			return h.outcomeReply("这条已记录过，未重复计数", out)
		}
		r := h.outcomeReply("↩️ 修改后的消息不再是填报，原记录已撤销", out)
		if perr != nil && !asks {
			r.Text += "\n\n" + perr.Error()
		}
		return r
	}
	a := authorAs(m, p)
	if !asks {
		// A question is stored with its own receipt, below.
		a.Answer = m.once.answer(reply)
	}
	out, err := h.Store.Replace(ctx, a, nil)
	if r, failed := h.writeFailed(m, err); failed {
		return r, true
	}
	if len(out.Effects) == 0 {
		return Reply{}, false
	}
	m.once.wrote(out)
	r := reply(out)
	if asks {
		// The question has a transaction of its own: a crash after the
		// revert brings the edit again, which finds the revert done (a
		// duplicate) and must still ask.
		if out.Duplicate {
			r = h.outcomeReply("↩️ 修改后的消息不再是填报，原记录已撤销", out)
		}
		ask := h.ask(ctx, m, amb, r.Text+"\n\n")
		if ask.Retry {
			// The revert is saved and must be told; the question goes
			// without buttons.
			ask = Reply{Text: r.Text + "\n\n" + amb.Error()}
		}
		return ask, true
	}
	return r, true
}
