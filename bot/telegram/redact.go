package telegram

import (
	"context"
	"encoding/base64"
	"log/slog"
	"strings"
)

// The bot token is a password: anyone holding it is the bot. It travels in
// every request URL (/bot<token>/method), and Go's HTTP errors quote the URL,
// so an error from the network can carry it into a log line; an HTML error
// page may quote it percent-encoded (%2Fbot123%3AAA…), a JSON body escaped.
// Everything the Telegram adapter logs or returns passes through these.

const redacted = "<token>"

// RedactLogger returns a logger that writes no line containing secret, in
// any of the encodings scrub knows: the message and every attribute value
// are scrubbed.
func RedactLogger(log *slog.Logger, secret string) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	if secret == "" {
		return log
	}
	if rh, ok := log.Handler().(*redactHandler); ok && rh.s.secrets[0] == secret {
		return log // a second secret (DingTalk's) wraps again
	}
	return slog.New(&redactHandler{inner: log.Handler(), s: newScrubber(secret)})
}

type redactHandler struct {
	inner slog.Handler
	s     *scrubber
}

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *redactHandler) Handle(ctx context.Context, r slog.Record) error {
	msg, _ := h.s.scrub(r.Message)
	out := slog.NewRecord(r.Time, r.Level, msg, r.PC)
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
	return &redactHandler{inner: h.inner.WithAttrs(clean), s: h.s}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{inner: h.inner.WithGroup(name), s: h.s}
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
	if s, found := h.s.scrub(v.String()); found {
		return slog.String(a.Key, s)
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// redactError hides secret in an error's text while keeping its chain for
// errors.Is and errors.As.
type redactError struct {
	err error
	s   *scrubber
}

func (e *redactError) Error() string { s, _ := e.s.scrub(e.err.Error()); return s }
func (e *redactError) Unwrap() error { return e.err }

func redact(err error, secret string) error {
	if err == nil || secret == "" {
		return err
	}
	s := newScrubber(secret)
	if _, found := s.scrub(err.Error()); !found {
		return err
	}
	return &redactError{err: err, s: s}
}

// scrubber finds a secret however it was encoded on its way into a text:
// as is; with any of its bytes percent-encoded, in either case of hex, once
// or twice (url.PathEscape, url.QueryEscape, a URL quoted inside a URL);
// JSON-escaped (\u003a); or inside base64, at any alignment. A bot token's
// part after the colon is the password proper (the part before is the
// bot's public id), so it is found on its own too.
type scrubber struct {
	secrets []string // the whole secret first
	b64     []string // the parts of base64 texts that only a secret determines
}

// minSecret is the shortest secret part searched for: a shorter one would
// match by chance.
const minSecret = 8

func newScrubber(secret string) *scrubber {
	s := &scrubber{secrets: []string{secret}}
	if _, pw, ok := strings.Cut(secret, ":"); ok && len(pw) >= minSecret {
		s.secrets = append(s.secrets, pw)
	}
	for _, sec := range s.secrets {
		// Base64 packs 3 bytes into 4 characters, so a secret encodes
		// three ways depending on where it starts; the characters that
		// also carry bits of the bytes around it are left out.
		n := len(sec)
		for a := range 3 {
			x := make([]byte, a, a+n)
			x = append(x, sec...)
			from, to := (8*a+5)/6, 8*(a+n)/6
			if to-from < minSecret {
				continue
			}
			for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
				s.b64 = append(s.b64, enc.EncodeToString(x)[from:to])
			}
		}
	}
	return s
}

// scrub replaces every occurrence of the secret in text and says whether
// there was one.
func (s *scrubber) scrub(text string) (string, bool) {
	var b strings.Builder
	found := false
	last := 0
	for i := 0; i < len(text); i++ {
		end, ok := s.matchAt(text, i)
		if !ok {
			continue
		}
		if !found {
			b.Grow(len(text))
			found = true
		}
		b.WriteString(text[last:i])
		b.WriteString(redacted)
		last = end
		i = end - 1
	}
	if found {
		b.WriteString(text[last:])
		text = b.String()
	}
	for _, p := range s.b64 {
		if strings.Contains(text, p) {
			text, found = strings.ReplaceAll(text, p, redacted), true
		}
	}
	return text, found
}

// matchAt reports whether an encoding of a secret starts at text[i], and
// where it ends.
func (s *scrubber) matchAt(text string, i int) (end int, ok bool) {
	for _, sec := range s.secrets {
		if end, ok := matchSecret(text, i, sec); ok {
			return end, true
		}
	}
	return 0, false
}

func matchSecret(text string, i int, secret string) (end int, ok bool) {
	j := i
	for k := 0; k < len(secret); k++ {
		n := encodedByte(text[j:], secret[k])
		if n == 0 {
			return 0, false
		}
		j += n
	}
	return j, true
}

// encodedByte is the length of the prefix of text that encodes c, or 0.
func encodedByte(text string, c byte) int {
	switch {
	case text == "":
		return 0
	case text[0] == c:
		return 1
	case text[0] == '%':
		if len(text) >= 3 && hexByte(text[1:3]) == int(c) {
			return 3
		}
		if len(text) >= 5 && hexByte(text[1:3]) == '%' && hexByte(text[3:5]) == int(c) {
			return 5 // %253A: encoded twice
		}
	case text[0] == '\\':
		// \u003a, or \\u003a once the JSON was quoted again (%q).
		k := 1
		for k < len(text) && text[k] == '\\' {
			k++
		}
		if e := text[k:]; len(e) >= 5 && (e[0] == 'u' || e[0] == 'U') && e[1:3] == "00" && hexByte(e[3:5]) == int(c) {
			return k + 5
		}
	}
	return 0
}

// hexByte decodes two hex digits, either case; -1 if they are not.
func hexByte(h string) int {
	hi, lo := unhex(h[0]), unhex(h[1])
	if hi < 0 || lo < 0 {
		return -1
	}
	return hi<<4 | lo
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
