// Package telegram is the Telegram channel: the Bot API poll loop and
// webhook, the outgoing sender within Telegram's rates, the outbox sender and
// the token's redaction. It turns updates into bot.Message and bot.Press and
// shows a bot.Reply the Telegram way.
package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"tsbot/bot"
	"tsbot/data"
)

// Name is this channel's name in receipts and the outbox.
const Name = "telegram"

// maxText is Telegram's limit on a message's text.
const maxText = 4096

// Options tune the adapter; the zero value is production's.
type Options struct {
	Limits SendLimits // zero: DefaultSendLimits
	// PollTimeout is the long-poll timeout of getUpdates (default 25s).
	PollTimeout time.Duration
	// HandleTimeout bounds the handling of one update (default 30s).
	HandleTimeout time.Duration
	// ShutdownWait bounds the wait for in-flight updates and queued
	// replies after the run context ends (default 10s).
	ShutdownWait time.Duration
	// HTTPClient makes every request; default: one with a timeout suited
	// to long polling.
	HTTPClient *http.Client
	// RetryFor is how long an update whose write failed (the database
	// down) is held back and tried again before the user is told to send
	// it again (default 30 minutes). RetryEvery is the wait between tries
	// (default 5s); other chats are served meanwhile.
	RetryFor, RetryEvery time.Duration
	// OutboxLease is how long a message being sent is kept from other
	// senders (default 15s): after a crash, unsent replies go out
	// once it has run out. OutboxEvery is how often the outbox is looked
	// at without news (default 5s): retries, and other instances' replies.
	OutboxLease, OutboxEvery time.Duration
	// OutboxBackoff is the first wait before a reply that failed to go out
	// is tried again (default 30s), doubled each time.
	OutboxBackoff time.Duration
	// Webhook bounds the webhook server; zero fields: the defaults.
	Webhook WebhookLimits
}

// WebhookLimits bound what the clients of the webhook server may take: a
// slow or stuck client is cut off, and only so many requests are handled at
// once, so that a flood cannot exhaust the machine.
type WebhookLimits struct {
	// HeaderTimeout bounds reading a request's header (default 10s);
	// ReadTimeout the whole request (default 30s).
	HeaderTimeout, ReadTimeout time.Duration
	// WriteTimeout bounds the time from the end of the header to the end
	// of the answer, which comes after the ledger write (default
	// HandleTimeout + QueueWait + 30s).
	WriteTimeout time.Duration
	// IdleTimeout bounds a kept-alive connection between requests
	// (default 2 minutes).
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's header (default 64 KiB).
	MaxHeaderBytes int
	// MaxConcurrent is how many requests are handled at once (default
	// 40, Telegram's default max_connections). A request beyond it waits
	// up to QueueWait (default 2s) for its turn, then gets 503, and
	// Telegram posts it again later.
	MaxConcurrent int
	QueueWait     time.Duration
}

func (l *WebhookLimits) setDefaults(handle time.Duration) {
	if l.HeaderTimeout <= 0 {
		l.HeaderTimeout = 10 * time.Second
	}
	if l.ReadTimeout <= 0 {
		l.ReadTimeout = 30 * time.Second
	}
	if l.QueueWait <= 0 {
		l.QueueWait = 2 * time.Second
	}
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = handle + l.QueueWait + 30*time.Second
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = 2 * time.Minute
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = 64 << 10
	}
	if l.MaxConcurrent <= 0 {
		l.MaxConcurrent = 40
	}
}

// Adapter is the Bot API adapter: it turns updates into Messages and
// Presses for the bot.Handler and its Replies into Bot API calls.
type Adapter struct {
	cfg    data.TelegramConfig
	h      *bot.Handler
	log    *slog.Logger
	api    *tgbot.Bot
	send   *Sender
	outbox *telegramOutbox
	menus  *menus
	http   *http.Client
	base   string // API base URL, no trailing slash
	opts   Options
	botID  int64
	botTag string // "@username", lower case; set by Run

	chatMu  sync.Mutex
	chats   map[int64]*chatLock // webhook: one update per chat at a time
	hookSem chan struct{}       // webhook: a slot per request handled at once

	failMu  sync.Mutex
	failing map[int64]time.Time // update id → first failed write, while retried
}

type chatLock struct {
	mu   sync.Mutex
	refs int
}

// allowedUpdates are the update types the bot handles; Telegram sends no others.
var allowedUpdates = []string{"message", "edited_message", "callback_query", "my_chat_member"}

// New builds the adapter. It makes no network call; Run does.
func New(cfg data.TelegramConfig, h *bot.Handler, log *slog.Logger, opts Options) (*Adapter, error) {
	if strings.TrimSpace(cfg.Token) == "" {
		return nil, data.ErrNoToken
	}
	log = RedactLogger(log, cfg.Token)
	if opts.Limits == (SendLimits{}) {
		opts.Limits = DefaultSendLimits()
	}
	if opts.PollTimeout <= 0 {
		opts.PollTimeout = 25 * time.Second
	}
	if opts.HandleTimeout <= 0 {
		opts.HandleTimeout = 30 * time.Second
	}
	if opts.ShutdownWait <= 0 {
		opts.ShutdownWait = 10 * time.Second
	}
	if opts.RetryFor <= 0 {
		opts.RetryFor = 30 * time.Minute
	}
	if opts.RetryEvery <= 0 {
		opts.RetryEvery = 5 * time.Second
	}
	if opts.OutboxLease <= 0 {
		opts.OutboxLease = 15 * time.Second
	}
	if opts.OutboxEvery <= 0 {
		opts.OutboxEvery = 5 * time.Second
	}
	// The look every OutboxEvery renews the leases: well inside them.
	opts.OutboxEvery = min(opts.OutboxEvery, opts.OutboxLease/3)
	if opts.OutboxBackoff <= 0 {
		opts.OutboxBackoff = 30 * time.Second
	}
	opts.Webhook.setDefaults(opts.HandleTimeout)
	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: opts.PollTimeout + 15*time.Second, Transport: transport()}
	}
	base := strings.TrimRight(cfg.APIURL, "/")
	if base == "" {
		base = "https://api.telegram.org"
	}
	api, err := tgbot.New(cfg.Token,
		tgbot.WithServerURL(base),
		tgbot.WithSkipGetMe(),
		tgbot.WithHTTPClient(opts.PollTimeout, client),
		tgbot.WithErrorsHandler(func(err error) {
			log.Warn("telegram: client error", slog.Any("err", redact(err, cfg.Token)))
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("telegram: %w", redact(err, cfg.Token))
	}
	t := &Adapter{
		cfg: cfg, h: h, log: log, api: api, http: client, base: base, opts: opts,
		botID: api.ID(),
		chats: map[int64]*chatLock{}, failing: map[int64]time.Time{},
		hookSem: make(chan struct{}, opts.Webhook.MaxConcurrent),
	}
	t.send = NewSender(api, log, opts.Limits)
	t.outbox = newTelegramOutbox(t, h.Store, opts)
	t.menus = newMenus(t)
	return t, nil
}

// Sender is the outgoing side, for whoever else writes to chats (reminders).
func (t *Adapter) Sender() *Sender { return t.send }

// QueueReminder claims a reminder for a chat and puts it in the outbox, in
// one transaction; Run's outbox sends it, retrying until expires. False: it
// was claimed before.
func (t *Adapter) QueueReminder(ctx context.Context, key string, chatID int64, text string, expires time.Time) (bool, error) {
	return t.QueueReply(ctx, key, chatID, bot.Reply{Text: text}, expires)
}

// QueueReply is QueueReminder for a reminder with more than a text (the
// weekly digest's picture).
func (t *Adapter) QueueReply(ctx context.Context, key string, chatID int64, r bot.Reply, expires time.Time) (bool, error) {
	queued, err := t.h.Store.QueueReminder(ctx, key, chatID, Name, bot.EncodeOutgoing(bot.Outgoing{Reply: r}), expires)
	if queued {
		t.outbox.poke()
	}
	return queued, err
}

// Run connects, registers the command menu, and handles updates until ctx
// ends: by long polling, or as a webhook when telegram.mode is "webhook".
// Then it lets in-flight updates finish and queued replies go out, within
// ShutdownWait.
func (t *Adapter) Run(ctx context.Context) error {
	octx, stopOutbox := context.WithCancel(context.WithoutCancel(ctx))
	outboxDone, markerDone := make(chan struct{}), make(chan struct{})
	go func() { defer close(outboxDone); t.outbox.run(octx) }()
	go t.outbox.marker(markerDone)
	stopLeases := t.outbox.keepLeases()
	err := t.run(ctx)
	stopOutbox()
	<-outboxDone
	// The replies of the last updates handled are in the outbox: send them
	// with whatever else is queued, within ShutdownWait; what is left then
	// goes out at the next start.
	t.outbox.drain(t.opts.ShutdownWait)
	closeCtx, cancel := context.WithTimeout(context.Background(), t.opts.ShutdownWait)
	defer cancel()
	if cerr := t.send.Close(closeCtx); cerr != nil {
		t.log.Warn("telegram: shutdown", slog.Any("err", cerr))
	}
	t.outbox.wait(markerDone)
	stopLeases() // every delivery's result is recorded
	return redact(err, t.cfg.Token)
}

func (t *Adapter) run(ctx context.Context) error {
	if err := t.hello(ctx); err != nil {
		return err
	}
	switch t.cfg.Mode {
	case "", "polling":
		if _, err := t.api.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{}); err != nil && ctx.Err() == nil {
			t.log.Warn("telegram: deleteWebhook", slog.Any("err", redact(err, t.cfg.Token)))
		}
		return t.poll(ctx)
	case "webhook":
		return t.serveWebhook(ctx)
	}
	return fmt.Errorf("telegram: telegram.mode: %q is not polling or webhook", t.cfg.Mode)
}

// hello learns the bot's username (to see mentions in groups) and sets the
// command menus (menus.go), which it then keeps up to date. A rejected token is fatal; a network failure is retried.
func (t *Adapter) hello(ctx context.Context) error {
	backoff := 500 * time.Millisecond
	for {
		me, err := t.api.GetMe(ctx)
		if err == nil {
			t.botID = me.ID
			t.botTag = "@" + strings.ToLower(me.Username)
			t.h.SetBotUsername(me.Username)
			t.log.Info("telegram: connected", slog.String("bot", me.Username), slog.Int64("bot_id", me.ID), slog.String("mode", t.cfg.Mode))
			break
		}
		err = redact(err, t.cfg.Token)
		if errors.Is(err, tgbot.ErrorUnauthorized) || errors.Is(err, tgbot.ErrorNotFound) {
			return fmt.Errorf("telegram: the bot token was rejected (check TELEGRAM_BOT_TOKEN): %w", err)
		}
		if ctx.Err() != nil {
			return nil
		}
		t.log.Warn("telegram: getMe failed, retrying", slog.Any("err", err), slog.Duration("backoff", backoff))
		if sleep(ctx, backoff) != nil {
			return nil
		}
		backoff = min(backoff*2, 30*time.Second)
	}
	m := t.menus
	m.refresh(ctx)
	go m.loop(ctx)
	return nil
}

// handleUpdate handles one update to the end of its ledger write and queues
// the replies. It returns whether the update may be acknowledged: false when
// the database failed, so that Telegram keeps it and it is tried again.
// An update the models could not decode is skipped (and acknowledged).
func (t *Adapter) handleUpdate(ctx context.Context, in inbound) (done bool) {
	u := in.u
	if u == nil {
		t.unreadable(ctx, in)
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, t.opts.HandleTimeout)
	defer cancel()
	if ev, ok := membership(u); ok {
		return t.handleMembership(ctx, ev)
	}
	switch {
	case u.Message != nil:
		return t.handleMessage(ctx, u.ID, u.Message, false, in.msg.forwarded())
	case u.EditedMessage != nil:
		return t.handleMessage(ctx, u.ID, u.EditedMessage, true, in.msg.forwarded())
	case u.CallbackQuery != nil:
		return t.handlePress(ctx, u.ID, u.CallbackQuery)
	}
	return true
}

func (t *Adapter) handleMessage(ctx context.Context, updateID int64, tm *models.Message, edited, forwarded bool) bool {
	m, ok := t.message(updateID, tm, edited, forwarded)
	if !ok {
		return true
	}
	m.Working = t.working(m.ChatID)
	m.Lease = t.opts.OutboxLease
	if !m.Group {
		t.menus.heard(m.UserID)
	}
	r := t.h.Handle(ctx, m)
	t.rosterChanged(r)
	t.log.Debug("telegram: message handled", slog.Int64("update_id", updateID), slog.Int64("chat_id", m.ChatID),
		slog.Int64("user_id", m.UserID), slog.Bool("edited", edited), slog.Bool("replied", r.Text != ""))
	replyTo := 0
	if m.Group {
		replyTo = tm.ID
	}
	if r.Retry && t.holdBack(updateID, m.ChatID, replyTo) {
		return false
	}
	t.deliver(m.ChatID, replyTo, r)
	return true
}

// deliver sends a reply: from the outbox when the handler stored it there,
// else (the database failed) straight away.
func (t *Adapter) deliver(chatID int64, replyTo int, r bot.Reply) {
	if r.Stored {
		t.sendStored(r)
		return
	}
	t.reply(chatID, replyTo, r)
}

// sendStored sends a reply the handler stored: at once, from memory, when
// the row came back leased to this process; else the outbox loop claims it.
func (t *Adapter) sendStored(r bot.Reply) {
	if r.Outbox != nil {
		t.outbox.sendNow(*r.Outbox)
		return
	}
	t.outbox.poke()
}

// msgHeldBack tells the sender, once, that the bot will record their message
// by itself when the database is back: resending would count it twice.
const msgHeldBack = "⚠️ 暂时无法保存（数据库不可用）。恢复后会自动补记并回复您，请勿重发。"

// holdBack decides what to do with an update whose write failed: hold it
// back (not acknowledged, tried again) for up to RetryFor, telling the sender
// once; after that, give up and let the handler's "未保存" reply go out.
func (t *Adapter) holdBack(updateID, chatID int64, replyTo int) bool {
	t.failMu.Lock()
	first, seen := t.failing[updateID]
	now := time.Now()
	if !seen {
		t.failing[updateID] = now
	}
	giveUp := seen && now.Sub(first) > t.opts.RetryFor
	if giveUp {
		delete(t.failing, updateID)
	}
	t.failMu.Unlock()
	switch {
	case giveUp:
		t.log.Error("telegram: update not stored, given up", slog.Int64("update_id", updateID), slog.Int64("chat_id", chatID))
		return false
	case !seen:
		t.log.Warn("telegram: update not stored, held back to try again", slog.Int64("update_id", updateID), slog.Int64("chat_id", chatID))
		t.reply(chatID, replyTo, bot.Reply{Text: msgHeldBack})
	}
	return true
}

// stored forgets the failures of an update that has now been handled.
func (t *Adapter) stored(updateID int64) {
	t.failMu.Lock()
	delete(t.failing, updateID)
	t.failMu.Unlock()
}

// message turns a Telegram message into the handler's bot.Message; false means
// the message is not for the handler at all. forwarded says the update's
// JSON has the older forward fields, which the models lack.
func (t *Adapter) message(updateID int64, tm *models.Message, edited, forwarded bool) (bot.Message, bool) {
	if tm.From == nil || tm.From.IsBot {
		return bot.Message{}, false // channel posts, other bots, the bot itself
	}
	text := tm.Text
	if text == "" {
		text = tm.Caption
	}
	m := bot.Message{
		Channel:   Name,
		UpdateID:  updateID,
		UserID:    tm.From.ID,
		UserName:  userName(tm.From),
		ChatID:    tm.Chat.ID,
		MessageID: int64(tm.ID),
		Edited:    edited,
		Forwarded: forwarded || tm.ForwardOrigin != nil,
	}
	switch tm.Chat.Type {
	case models.ChatTypePrivate:
	case models.ChatTypeGroup, models.ChatTypeSupergroup:
		m.Group = true
	default:
		return bot.Message{}, false
	}
	if cmd, _, _ := strings.Cut(strings.TrimSpace(text), " "); strings.HasPrefix(cmd, "/") {
		if _, to, ok := strings.Cut(cmd, "@"); ok && "@"+strings.ToLower(to) != t.botTag {
			return bot.Message{}, false // /status@OtherBot
		}
	}
	if m.Group {
		if r := tm.ReplyToMessage; r != nil && r.From != nil && r.From.ID == t.botID {
			m.Addressed = true
		}
		if stripped, ok := stripMention(text, t.botTag); ok {
			m.Addressed, text = true, stripped
		}
	}
	m.Text = text
	if tm.Document != nil {
		m.File = t.file(tm.Document)
	}
	return m, true
}

// stripMention removes every @botname (any case) from text. Usernames are
// ASCII, so only ASCII is folded: strings.ToLower changes the byte length of
// some letters (İ, Ⱥ, the Kelvin sign), and the offsets found in the folded
// text would then cut the original in the wrong place, or past its end.
//
// An empty tag (the bot's name not known yet) or a bare "@" is no mention:
// strings.Index finds "" at every offset, and the loop would never end.
func stripMention(text, tag string) (string, bool) {
	if len(tag) < 2 {
		return text, false
	}
	lower := asciiLower(text)
	if !strings.Contains(lower, tag) {
		return text, false
	}
	var b strings.Builder
	found := false
	for {
		i := strings.Index(lower, tag)
		if i < 0 {
			break
		}
		// @tsbot must not match inside @tsbot_fan.
		end := i + len(tag)
		if end < len(lower) && isCommandRune(rune(lower[end])) {
			b.WriteString(text[:end])
			text, lower = text[end:], lower[end:]
			continue
		}
		found = true
		b.WriteString(text[:i])
		b.WriteString(" ")
		text, lower = text[end:], lower[end:]
	}
	b.WriteString(text)
	return b.String(), found
}

// asciiLower lowers A-Z only, keeping every byte offset of s.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func isCommandRune(r rune) bool {
	return r == '_' || ('a' <= r && r <= 'z') || ('0' <= r && r <= '9')
}

func userName(u *models.User) string {
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if name == "" {
		name = u.Username
	}
	return name
}

func (t *Adapter) handlePress(ctx context.Context, updateID int64, q *models.CallbackQuery) bool {
	pr := bot.Press{Channel: Name, UpdateID: updateID, UserID: q.From.ID, UserName: userName(&q.From), Data: q.Data, Lease: t.opts.OutboxLease}
	var group bool
	switch mm := q.Message; {
	case mm.Message != nil:
		pr.ChatID, pr.MessageID = mm.Message.Chat.ID, int64(mm.Message.ID)
		group = mm.Message.Chat.Type != models.ChatTypePrivate
	case mm.InaccessibleMessage != nil:
		pr.ChatID, pr.MessageID = mm.InaccessibleMessage.Chat.ID, int64(mm.InaccessibleMessage.MessageID)
		group = pr.ChatID < 0
	default:
		t.answer(q.From.ID, q.ID, "按钮已失效。")
		return true
	}
	pr.Group = group
	r := t.h.HandlePress(ctx, pr)
	t.rosterChanged(r)
	t.log.Debug("telegram: button handled", slog.Int64("update_id", updateID), slog.Int64("chat_id", pr.ChatID), slog.Int64("user_id", pr.UserID))
	replyTo := 0
	if group {
		replyTo = int(pr.MessageID)
	}
	if r.Retry && t.holdBack(updateID, pr.ChatID, replyTo) {
		return false // the spinner stays until the press is handled
	}
	if r.Alert {
		// A refusal is the presser's alone: a pop-up, nothing in the chat.
		t.alert(pr.ChatID, q.ID, r.Text)
		if r.ClearKeyboard {
			t.queueReply(pr.ChatID, 0, bot.Reply{ClearKeyboard: true}, int(pr.MessageID), false, resend{})
		}
		return true
	}
	t.answer(pr.ChatID, q.ID, short(r.Text))
	if r.Stored {
		t.sendStored(r)
		return true
	}
	if r.ClearKeyboard || r.Replace {
		t.queueReply(pr.ChatID, replyTo, r, int(pr.MessageID), false, resend{})
	} else {
		t.reply(pr.ChatID, replyTo, r)
	}
	return true
}

// rosterChanged refreshes the command menus after a change of the roster.
func (t *Adapter) rosterChanged(r bot.Reply) {
	if r.RosterChanged {
		t.menus.changed()
	}
}

// alert answers a press with a pop-up the presser must dismiss.
func (t *Adapter) alert(chatID int64, queryID, text string) {
	_ = t.send.enqueue(chatID, job{method: "answerCallbackQuery", do: func(ctx context.Context) error {
		_, err := t.api.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: queryID, Text: clipRunes(strings.TrimSpace(text), maxAlert), ShowAlert: true})
		return err
	}})
}

// maxAlert is Telegram's limit on a callback answer's text, in characters.
const maxAlert = 200

func clipRunes(s string, most int) string {
	if utf8.RuneCountInString(s) <= most {
		return s
	}
	return string([]rune(s)[:most-1]) + "…"
}

// working shows the chat that a document is on its way while it is built.
func (t *Adapter) working(chatID int64) func(bot.Work) {
	return func(bot.Work) {
		_ = t.send.enqueue(chatID, job{method: "sendChatAction", do: func(ctx context.Context) error {
			_, err := t.api.SendChatAction(ctx, &tgbot.SendChatActionParams{ChatID: chatID, Action: models.ChatActionUploadDocument})
			return err
		}})
	}
}

// answer stops the spinner on the pressed button, with a short notice.
func (t *Adapter) answer(chatID int64, queryID, text string) {
	_ = t.send.enqueue(chatID, job{method: "answerCallbackQuery", do: func(ctx context.Context) error {
		_, err := t.api.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: queryID, Text: text})
		return err
	}})
}

// short is the first line of a reply, cut to fit a button notice.
func short(text string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
	return clipRunes(line, 60)
}
