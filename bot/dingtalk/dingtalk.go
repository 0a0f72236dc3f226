// Package dingtalk is the DingTalk channel: the app robot in Stream mode (an
// outbound websocket, no public address needed), replies through each
// message's session webhook, and the robot OpenAPI for what comes after the
// webhook expired and for reminders. It speaks to the conversation only
// through bot.Message and bot.Reply.
package dingtalk

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-dingtalk/dingtalk-stream-sdk-go/chatbot"
	"github.com/open-dingtalk/dingtalk-stream-sdk-go/client"
	sdklog "github.com/open-dingtalk/dingtalk-stream-sdk-go/logger"

	"tsbot/bot"
	"tsbot/data"
)

// Name is the channel's name in receipts and the outbox.
const Name = "dingtalk"

// Options tune the adapter; zero values take the defaults.
type Options struct {
	// Counties gives each county's custom robot (robot_webhook, robot_secret).
	Counties      []data.CountyConfig
	HTTP          *http.Client  // for the OpenAPI and the webhooks
	OutboxEvery   time.Duration // a look at the outbox without a kick (1 s)
	OutboxLease   time.Duration // 15 s
	OutboxBackoff time.Duration // the first wait before a retry (2 s)
	RetryEvery    time.Duration // while the database fails (1 s)
	RetryFor      time.Duration // and for how long (30 s)
	ReconnectMin  time.Duration // the first wait after a failed connect (1 s)
}

// Adapter is the DingTalk channel.
type Adapter struct {
	cfg     data.DingTalkConfig
	h       *bot.Handler
	store   *data.Store
	log     *slog.Logger
	opts    Options
	api     *api
	http    *http.Client
	allowed map[string]bool // hosts a session webhook may be on
	robot   *Robot
	robots  map[string]robotHook // county → its custom robot
	start   time.Time

	chats sync.Map // conversationId → chatEntry: the webhook last saved
	kick  chan struct{}
	// fresh carries the replies stored leased to this process to the
	// outbox loop, which sends them with no claim; stopped is closed when
	// the loop has ended.
	fresh   chan data.OutboxMessage
	stopped chan struct{}
	// held are the messages this process is sending, fresh or claimed,
	// until their results are recorded: their leases are renewed, and a
	// claim that takes one again (its lease ran out) leaves it alone.
	held leases

	messages atomic.Int64 // messages handled, for the log
}

type chatEntry struct {
	id      int64
	webhook string
}

// sdkOnce installs the SDK's logger, a process-wide global, once.
var (
	sdkOnce   sync.Once
	sdkLogger atomic.Pointer[slog.Logger]
)

// New builds the adapter. log must already redact the client secret (main
// wraps it in telegram.RedactLogger): the adapter and the SDK log through it.
func New(cfg data.DingTalkConfig, h *bot.Handler, log *slog.Logger, opts Options) (*Adapter, error) {
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, fmt.Errorf("dingtalk: dingtalk.client_id and dingtalk.client_secret are needed")
	}
	if cfg.APIURL == "" {
		cfg.APIURL = "https://api.dingtalk.com"
	}
	base, err := url.Parse(cfg.APIURL)
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("dingtalk: dingtalk.api_url: not a URL")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.HTTP == nil {
		opts.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opts.OutboxEvery, time.Second)
	def(&opts.OutboxLease, 15*time.Second)
	def(&opts.OutboxBackoff, 2*time.Second)
	def(&opts.RetryEvery, time.Second)
	def(&opts.RetryFor, 30*time.Second)
	def(&opts.ReconnectMin, time.Second)
	robotCode := cfg.RobotCode
	if robotCode == "" {
		robotCode = cfg.ClientID
	}
	var store *data.Store
	if h != nil { // nil: check's credential test only
		store = h.Store
	}
	a := &Adapter{cfg: cfg, h: h, store: store, log: log, opts: opts, http: opts.HTTP,
		api:     newAPI(strings.TrimRight(cfg.APIURL, "/"), cfg.ClientID, cfg.ClientSecret, robotCode, opts.HTTP),
		allowed: map[string]bool{"api.dingtalk.com": true, "oapi.dingtalk.com": true, base.Host: true},
		robot:   NewRobot(cfg.RobotWebhookURL, opts.HTTP), robots: map[string]robotHook{}, start: time.Now(), kick: make(chan struct{}, 1),
		fresh: make(chan data.OutboxMessage, outboxBatch), stopped: make(chan struct{}), held: leases{ids: map[int64]bool{}}}
	for _, c := range opts.Counties {
		if c.RobotWebhook != "" {
			a.robots[c.Name] = robotHook{url: c.RobotWebhook, secret: c.RobotSecret}
		}
	}
	sdkLogger.Store(log)
	sdkOnce.Do(func() { sdklog.SetLogger(sdkLog{}) })
	return a, nil
}

// CheckCredentials asks DingTalk for an access token: does it take the
// client id and secret? (check)
func (a *Adapter) CheckCredentials(ctx context.Context) error {
	_, err := a.api.Token(ctx)
	return err
}

// Run connects and serves until ctx ends. A connection that fails or drops
// is opened again, with backoff; the outbox is sent meanwhile.
func (a *Adapter) Run(ctx context.Context) error {
	cli := client.NewStreamClient(
		client.WithAppCredential(client.NewAppCredentialConfig(a.cfg.ClientID, a.cfg.ClientSecret)),
		client.WithOpenApiHost(strings.TrimRight(a.cfg.APIURL, "/")),
		client.WithAutoReconnect(true),
	)
	cli.RegisterChatBotCallbackRouter(a.onMessage)
	go func() {
		defer close(a.stopped)
		a.runOutbox(ctx)
	}()
	wait := a.opts.ReconnectMin
	for {
		err := cli.Start(ctx)
		if err == nil {
			a.log.Info("dingtalk: connected")
			break
		}
		if ctx.Err() != nil {
			break
		}
		a.log.Warn("dingtalk: connect failed, trying again", slog.Duration("backoff", wait), slog.Any("err", err))
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
		wait = min(2*wait, time.Minute)
	}
	// After the first connection the SDK reconnects by itself.
	<-ctx.Done()
	cli.Close()
	<-a.stopped
	a.log.Info("dingtalk: stopped", slog.Int64("messages", a.messages.Load()), slog.Int64("api_calls", a.api.calls.Load()))
	return nil
}

// onMessage handles one bot message. It returns only after the reply is
// committed with the message's receipt: the SDK acknowledges the frame when
// it returns, so an acknowledged message is never lost. A panic here (ours
// or the SDK's) is logged and the frame is answered with an error; the
// process carries on.
func (a *Adapter) onMessage(ctx context.Context, d *chatbot.BotCallbackDataModel) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			a.log.Error("dingtalk: panic in message handler", slog.Any("panic", p))
			out, err = nil, fmt.Errorf("dingtalk: internal error")
		}
	}()
	if d == nil || d.MsgId == "" {
		return nil, nil
	}
	a.messages.Add(1)
	m, err := a.message(ctx, d)
	if err != nil {
		a.log.Error("dingtalk: conversation not saved", slog.String("msg_id", d.MsgId), slog.Any("err", err))
		return nil, err
	}
	deadline := time.Now().Add(a.opts.RetryFor)
	for {
		r := a.h.Handle(ctx, m)
		switch {
		case r.Stored:
			a.sendStored(r)
			return nil, nil
		case r.Retry && time.Now().Before(deadline) && ctx.Err() == nil:
			// The database failed: DingTalk will not deliver this again,
			// so it is tried here for a while before it is let go.
			time.Sleep(a.opts.RetryEvery)
			continue
		case r.Text == "":
			return nil, nil // silence
		}
		// Not stored (the database failed for good): said directly.
		a.log.Warn("dingtalk: reply not stored, sent directly", slog.String("msg_id", d.MsgId), slog.Int64("chat_id", m.ChatID))
		if err := a.sendDirect(ctx, d.SessionWebhook, r); err != nil {
			a.log.Error("dingtalk: direct reply failed", slog.Int64("chat_id", m.ChatID), slog.Any("err", err))
		}
		return nil, nil
	}
}

// message turns a bot message into the handler's Message.
func (a *Adapter) message(ctx context.Context, d *chatbot.BotCallbackDataModel) (bot.Message, error) {
	group := d.ConversationType == "2"
	webhook := d.SessionWebhook
	if !a.webhookAllowed(webhook) {
		if webhook != "" {
			a.log.Warn("dingtalk: session webhook on a foreign host ignored", slog.String("msg_id", d.MsgId))
		}
		webhook = ""
	}
	chatID, err := a.chat(ctx, d, group, webhook)
	if err != nil {
		return bot.Message{}, err
	}
	h := fnv.New64a()
	h.Write([]byte(d.MsgId))
	var file *bot.File
	if d.Msgtype == "file" {
		file = a.file(d.Content) // downloaded only if the handler reads it
	}
	return bot.Message{
		Channel:      Name,
		DeliveryID:   d.MsgId,
		SenderID:     d.SenderStaffId,
		UserName:     d.SenderNick,
		ChatID:       chatID,
		MessageID:    int64(h.Sum64() >> 1),
		Text:         stripMention(d.Text.Content),
		Group:        group,
		Addressed:    !group || d.IsInAtList,
		TypedAnswers: true,
		Unreadable:   d.Msgtype != "" && d.Msgtype != "text" && file == nil,
		File:         file,
		Lease:        a.opts.OutboxLease,
	}, nil
}

// chat is the chat id of the conversation, saving its webhook when it is new.
func (a *Adapter) chat(ctx context.Context, d *chatbot.BotCallbackDataModel, group bool, webhook string) (int64, error) {
	if v, ok := a.chats.Load(d.ConversationId); ok && (webhook == "" || v.(chatEntry).webhook == webhook) {
		return v.(chatEntry).id, nil
	}
	c := data.DingTalkChat{ConversationID: d.ConversationId, Group: group, Webhook: webhook,
		WebhookExpires: time.UnixMilli(d.SessionWebhookExpiredTime)}
	if !group {
		c.StaffID = d.SenderStaffId
	}
	id, err := a.store.SaveDingTalkChat(ctx, c)
	if err != nil {
		return 0, err
	}
	a.chats.Store(d.ConversationId, chatEntry{id: id, webhook: webhook})
	return id, nil
}

// stripMention takes the @-mention of the bot off the front of a group
// message (DingTalk usually strips it itself).
func stripMention(s string) string {
	s = strings.TrimSpace(s)
	for strings.HasPrefix(s, "@") {
		i := strings.IndexAny(s, " \u3000")
		if i < 0 {
			return ""
		}
		s = strings.TrimSpace(s[i:])
	}
	return s
}

// webhookAllowed: a session webhook is posted to only on DingTalk's API
// hosts or the configured api_url's, so a forged frame cannot make the bot
// send a reply (the ledger's figures) anywhere else.
func (a *Adapter) webhookAllowed(webhook string) bool {
	u, err := url.Parse(webhook)
	if err != nil || !a.allowed[u.Host] {
		return false
	}
	return u.Scheme == "https" || (u.Scheme == "http" && u.Host == a.apiHost())
}

func (a *Adapter) apiHost() string {
	u, _ := url.Parse(a.cfg.APIURL)
	return u.Host
}

// sdkLog forwards the SDK's log to the adapter's (redacting) logger. Its
// debug lines (whole requests, the secret among them) are dropped.
type sdkLog struct{}

func (sdkLog) log(level slog.Level, format string, args ...any) {
	if l := sdkLogger.Load(); l != nil {
		l.Log(context.Background(), level, "dingtalk sdk: "+fmt.Sprintf(format, args...))
	}
}
func (sdkLog) Debugf(string, ...any)            {}
func (l sdkLog) Infof(f string, args ...any)    { l.log(slog.LevelInfo, f, args...) }
func (l sdkLog) Warningf(f string, args ...any) { l.log(slog.LevelWarn, f, args...) }
func (l sdkLog) Errorf(f string, args ...any)   { l.log(slog.LevelError, f, args...) }
func (l sdkLog) Fatalf(f string, args ...any)   { l.log(slog.LevelError, f, args...) }
