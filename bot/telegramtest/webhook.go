package telegramtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"

	"github.com/go-telegram/bot/models"
)

// secretToken is what Telegram allows in X-Telegram-Bot-Api-Secret-Token.
var secretToken = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// setWebhook switches the server to webhook mode: queued and future updates
// are POSTed to the URL instead of being served by getUpdates. Unlike
// Telegram it accepts plain http, so an httptest server can receive them,
// and it refuses any host that is not loopback, so a test never sends
// updates off the machine.
func (s *Server) setWebhook(p params) (any, *apiError) {
	raw := p.values["url"]
	if raw == "" {
		// An empty url removes the webhook, as in Telegram.
		return s.deleteWebhook(p)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, badRequest("bad webhook: invalid URL")
	}
	if !isLoopback(u.Hostname()) {
		return nil, badRequest("bad webhook: telegramtest only delivers to loopback addresses")
	}
	secret := p.values["secret_token"]
	if secret != "" && !secretToken.MatchString(secret) {
		return nil, badRequest("secret token contains unallowed characters")
	}
	if p.bool("drop_pending_updates") {
		s.dropLocked(len(s.updates))
	}
	s.webhookURL = raw
	s.webhookSecret = secret
	s.webhookError = ""
	return true, nil
}

func (s *Server) deleteWebhook(p params) (any, *apiError) {
	if p.bool("drop_pending_updates") {
		s.dropLocked(len(s.updates))
	}
	s.webhookURL = ""
	s.webhookSecret = ""
	s.webhookError = ""
	return true, nil
}

func (s *Server) getWebhookInfo(params) (any, *apiError) {
	return &models.WebhookInfo{
		URL:                s.webhookURL,
		PendingUpdateCount: len(s.updates),
		LastErrorMessage:   s.webhookError,
		LastErrorDate:      s.webhookErrorDate,
	}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Webhook is the webhook URL and secret token set by the bot; the URL is
// empty in polling mode.
func (s *Server) Webhook() (url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhookURL, s.webhookSecret
}

// FlushWebhook delivers the queued updates to the webhook, in order, and
// returns when they are all accepted or one fails. An update counts as
// delivered when the webhook answers 2xx; a failed one stays queued and is
// retried on the next flush. In polling mode it does nothing.
//
// Injections call it themselves, so in webhook mode SendText returns after
// the bot's webhook accepted the update; tests only need it to retry after
// the bot's webhook was down.
func (s *Server) FlushWebhook() error {
	s.deliverMu.Lock()
	defer s.deliverMu.Unlock()
	for {
		s.mu.Lock()
		if s.webhookURL == "" || len(s.updates) == 0 || s.closed {
			s.mu.Unlock()
			return nil
		}
		target, secret, u := s.webhookURL, s.webhookSecret, s.updates[0]
		s.mu.Unlock()

		err := s.post(target, secret, u.raw)

		s.mu.Lock()
		if err != nil {
			s.webhookError = err.Error()
			s.webhookErrorDate = int(s.now().Unix())
			s.notifyLocked()
			s.mu.Unlock()
			return fmt.Errorf("telegramtest: deliver update %d: %w", u.id, err)
		}
		// The queue may have been dropped meanwhile (deleteWebhook with
		// drop_pending_updates); only confirm what was delivered.
		if len(s.updates) > 0 && s.updates[0].id == u.id {
			s.dropLocked(1)
		}
		s.mu.Unlock()
	}
}

func (s *Server) post(target, secret string, body []byte) error {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode/100 != 2 {
		return errors.New("Wrong response from the webhook: " + resp.Status)
	}
	return nil
}

// deliverSoon is called by injections after queuing an update.
func (s *Server) deliverSoon() {
	s.mu.Lock()
	webhook := s.webhookURL != ""
	s.mu.Unlock()
	if webhook {
		_ = s.FlushWebhook()
	}
}
