package telegram

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestRedactEncodings(t *testing.T) {
	const token = "987654:SECRETxyz_0123456789-abcdefABCDEF"
	u := "https://api.telegram.org/bot" + token + "/getUpdates"
	for _, tt := range []struct{ name, text string }{
		{name: "raw", text: u},
		{name: "QueryEscape", text: url.QueryEscape(u)},
		{name: "PathEscape", text: url.PathEscape(u)},
		{name: "lower-case hex", text: strings.ReplaceAll(url.QueryEscape(u), "%3A", "%3a")},
		{name: "every byte percent-encoded", text: everyByteEscaped(token)},
		{name: "encoded twice", text: url.QueryEscape(url.QueryEscape(u))},
		{name: "JSON-escaped", text: `{"url":"` + strings.ReplaceAll(u, ":", `\u003a`) + `"}`},
		{name: "JSON-escaped, quoted again", text: fmt.Sprintf("%q", strings.ReplaceAll(u, ":", `\u003a`))},
		{name: "secret half alone", text: "token=SECRETxyz_0123456789-abcdefABCDEF;"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := redact(fmt.Errorf("wrapped: %w", &fs.PathError{Op: "open", Path: tt.text, Err: fs.ErrNotExist}), token)
			if strings.Contains(err.Error(), "SECRETxyz") {
				t.Errorf("redact: %v", err)
			}
			if !strings.Contains(err.Error(), redacted) {
				t.Errorf("redact: no %s in %v", redacted, err)
			}
			if !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("redact lost the error chain: %v", err)
			}
		})
	}
	if err := errors.New("nothing secret: 987654 SECRET"); redact(err, token) != err {
		t.Errorf("redact changed an error without the token")
	}
}

func everyByteEscaped(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

// Before the bot knows its name (a webhook request before getMe answered)
// the tag is empty; stripMention used to loop forever on it.
func TestStripMentionEmptyTag(t *testing.T) {
	for _, tt := range []struct {
		name, text, tag string
		want            string
		found           bool
	}{
		{name: "empty tag", text: "@tsbot 柯桥 辅导企业 +3", tag: "", want: "@tsbot 柯桥 辅导企业 +3"},
		{name: "empty tag, empty text", text: "", tag: ""},
		{name: "bare @", text: "a @ b", tag: "@", want: "a @ b"},
		{name: "mention", text: "@TSBot 柯桥 辅导企业 +3", tag: "@tsbot", want: "  柯桥 辅导企业 +3", found: true},
		{name: "longer name", text: "@tsbot_fan 你好", tag: "@tsbot", want: "@tsbot_fan 你好"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			type result struct {
				text  string
				found bool
			}
			done := make(chan result, 1)
			go func() {
				s, ok := stripMention(tt.text, tt.tag)
				done <- result{s, ok}
			}()
			select {
			case r := <-done:
				if r.text != tt.want || r.found != tt.found {
					t.Errorf("stripMention(%q, %q) = %q, %v; want %q, %v", tt.text, tt.tag, r.text, r.found, tt.want, tt.found)
				}
			case <-time.After(2 * time.Second):
				t.Fatalf("stripMention(%q, %q) did not return", tt.text, tt.tag)
			}
		})
	}
}
