package telegram

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	tgbot "github.com/go-telegram/bot"
)

// Exactly once, in webhook mode: Telegram keeps an update and posts it
// again until the webhook answers 2xx. The handler answers only after the
// update was handled and its ledger write committed; a crash before that
// leaves Telegram to retry, and the ledger's update id makes the retry
// record nothing twice.

const secretHeader = "X-Telegram-Bot-Api-Secret-Token"

// WebhookHandler receives updates that Telegram posts.
func (t *Adapter) WebhookHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if s := t.cfg.WebhookSecret; s != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get(secretHeader)), []byte(s)) != 1 {
			t.log.Warn("telegram: webhook request without the right secret token", slog.String("remote", r.RemoteAddr))
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		release, ok := t.webhookSlot(r.Context())
		if !ok {
			t.log.Warn("telegram: webhook busy, request refused", slog.Int("max_concurrent", cap(t.hookSem)))
			w.Header().Set("Retry-After", "1")
			http.Error(w, "busy, try again", http.StatusServiceUnavailable)
			return
		}
		defer release()
		raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<20))
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		// An update the models cannot decode is still answered 200 (and
		// skipped): Telegram would post it again forever on a 400.
		in, err := decodeUpdate(raw)
		if err != nil {
			t.log.Warn("telegram: webhook body is not an update", slog.Any("err", err))
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		// The commit must not depend on Telegram keeping the connection open.
		ctx := context.WithoutCancel(r.Context())
		unlock := t.lockChat(in.chat())
		done := t.handleUpdate(ctx, in)
		unlock()
		if !done {
			// Not stored: Telegram posts it again later.
			http.Error(w, "not stored, try again", http.StatusServiceUnavailable)
			return
		}
		t.stored(in.ID)
		w.WriteHeader(http.StatusOK)
	})
}

// webhookSlot waits, up to Webhook.QueueWait, for one of the
// Webhook.MaxConcurrent slots; false: none came free.
func (t *Adapter) webhookSlot(ctx context.Context) (release func(), ok bool) {
	release = func() { <-t.hookSem }
	select {
	case t.hookSem <- struct{}{}:
		return release, true
	default:
	}
	timer := time.NewTimer(t.opts.Webhook.QueueWait)
	defer timer.Stop()
	select {
	case t.hookSem <- struct{}{}:
		return release, true
	case <-timer.C:
	case <-ctx.Done():
	}
	return nil, false
}

// lockChat keeps one chat's updates in order when Telegram posts several
// at once.
func (t *Adapter) lockChat(chatID int64) (unlock func()) {
	t.chatMu.Lock()
	l := t.chats[chatID]
	if l == nil {
		l = &chatLock{}
		t.chats[chatID] = l
	}
	l.refs++
	t.chatMu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		t.chatMu.Lock()
		if l.refs--; l.refs == 0 {
			delete(t.chats, chatID)
		}
		t.chatMu.Unlock()
	}
}

// serveWebhook listens on telegram.webhook_listen, tells Telegram where to
// post (telegram.webhook_url), and serves until ctx ends; then it stops
// taking requests and waits, within ShutdownWait, for those in progress.
// The webhook stays set: Telegram keeps updates while the bot is down.
func (t *Adapter) serveWebhook(ctx context.Context) error {
	if t.cfg.WebhookURL == "" {
		return errors.New("telegram: telegram.webhook_url is empty (needed in webhook mode)")
	}
	u, err := url.Parse(t.cfg.WebhookURL)
	if err != nil {
		return fmt.Errorf("telegram: telegram.webhook_url: %w", err)
	}
	if t.cfg.WebhookSecret == "" {
		t.log.Warn("telegram: telegram.webhook_secret is empty: anyone who finds the URL can post updates")
	}
	path := u.Path
	if path == "" {
		path = "/"
	}
	mux := http.NewServeMux()
	mux.Handle(path, t.WebhookHandler())
	ln, err := net.Listen("tcp", t.cfg.WebhookListen)
	if err != nil {
		return fmt.Errorf("telegram: telegram.webhook_listen: %w", err)
	}
	l := t.opts.Webhook
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: l.HeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(t.log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	done := make(chan error, 1)
	err = t.send.enqueue(0, job{method: "setWebhook", done: done, do: func(ctx context.Context) error {
		_, err := t.api.SetWebhook(ctx, &tgbot.SetWebhookParams{
			URL: t.cfg.WebhookURL, SecretToken: t.cfg.WebhookSecret, AllowedUpdates: allowedUpdates,
		})
		return err
	}})
	if err == nil {
		err = t.send.wait(ctx, done)
	}
	if err != nil {
		_ = srv.Close()
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("telegram: setWebhook: %w", err)
	}
	t.log.Info("telegram: webhook set", slog.String("listen", ln.Addr().String()), slog.String("path", path))

	select {
	case err := <-served:
		return fmt.Errorf("telegram: webhook server: %w", err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), t.opts.ShutdownWait)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		t.log.Error("telegram: webhook shutdown with updates still in progress; Telegram will deliver them again", slog.Any("err", err))
	}
	return nil
}
