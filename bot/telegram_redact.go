package bot

import (
	"context"
	"log/slog"
	"strings"
)

// The bot token is a password: anyone holding it is the bot. It travels in
// every request URL (/bot<token>/method), and Go's HTTP errors quote the URL,
// so an error from the network can carry it into a log line. Everything the
// Telegram adapter logs or returns passes through these.

const redacted = "<token>"

// RedactLogger returns a logger that writes no line containing secret:
// the message and every attribute value are scrubbed.
func RedactLogger(log *slog.Logger, secret string) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	if secret == "" {
		return log
	}
	if _, ok := log.Handler().(*redactHandler); ok {
		return log
	}
	return slog.New(&redactHandler{inner: log.Handler(), secret: secret})
}

type redactHandler struct {
	inner  slog.Handler
	secret string
}

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, strings.ReplaceAll(r.Message, h.secret, redacted), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h *redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = h.attr(a)
	}
	return &redactHandler{inner: h.inner.WithAttrs(clean), secret: h.secret}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{inner: h.inner.WithGroup(name), secret: h.secret}
}

func (h *redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindGroup:
		g := v.Group()
		clean := make([]any, len(g))
		for i, ga := range g {
			clean[i] = h.attr(ga)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindInt64, slog.KindUint64, slog.KindFloat64, slog.KindBool, slog.KindDuration, slog.KindTime:
		return slog.Attr{Key: a.Key, Value: v}
	}
	if s := v.String(); strings.Contains(s, h.secret) {
		return slog.String(a.Key, strings.ReplaceAll(s, h.secret, redacted))
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// redactError hides secret in an error's text while keeping its chain for
// errors.Is and errors.As.
type redactError struct {
	err    error
	secret string
}

func (e *redactError) Error() string { return strings.ReplaceAll(e.err.Error(), e.secret, redacted) }
func (e *redactError) Unwrap() error { return e.err }

func redact(err error, secret string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return &redactError{err: err, secret: secret}
}
