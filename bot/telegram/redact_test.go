package telegram_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"tsbot/bot/telegramtest"
)

// tokenForms are the ways the token may be spelled in a text that quotes a
// request URL: raw, percent-encoded with upper- and lower-case hex, as
// url.PathEscape and url.QueryEscape write it, JSON-escaped, and base64 at
// every alignment (the middle characters, which only the token determines).
func tokenForms(token string) map[string]string {
	_, pw, _ := strings.Cut(token, ":")
	forms := map[string]string{
		"raw":          token,
		"secret half":  pw,
		"QueryEscape":  url.QueryEscape(token),
		"PathEscape":   url.PathEscape(token),
		"%3a":          strings.ReplaceAll(token, ":", "%3a"),
		"%3A":          strings.ReplaceAll(token, ":", "%3A"),
		"JSON \\u003a": strings.ReplaceAll(token, ":", `\u003a`),
	}
	for a, name := range []string{"base64+0", "base64+1", "base64+2"} {
		enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", a) + pw))
		forms[name] = enc[4 : len(enc)-4]
	}
	return forms
}

// A proxy's HTML error page quoting the request URL percent-encoded, for
// getUpdates and for sendMessage (whose error go-telegram/bot quotes with
// the body), must not bring the token into the log in any encoding.
func TestTelegramTokenRedactedInEveryEncoding(t *testing.T) {
	f := newFixture(t)
	page := func(method string) string {
		u := f.srv.URL() + "/bot" + telegramtest.Token + "/" + method
		q := url.QueryEscape(u)
		lower := strings.NewReplacer("%3A", "%3a", "%2F", "%2f").Replace(q)
		jsonURL := strings.NewReplacer(":", `\u003a`, "/", `\/`).Replace(u)
		return "<html><head><title>502 Bad Gateway</title></head><body>" +
			"<p>upstream failed: " + q + "</p><p>" + lower + "</p><p>" + url.PathEscape(u) + "</p>" +
			`<script>var req = {"url":"` + jsonURL + `"};</script>` +
			"<p>trace " + base64.StdEncoding.EncodeToString([]byte(u)) + "</p></body></html>"
	}
	f.srv.FailNext("getUpdates", telegramtest.HTMLPage(http.StatusBadGateway, page("getUpdates")))
	f.srv.FailNext("sendMessage", telegramtest.HTMLPage(http.StatusBadGateway, page("sendMessage")))
	f.start()
	chat := telegramtest.PrivateChat(alice)
	f.srv.SendText(alice, chat, "柯桥 辅导企业 +3")
	f.waitReply(t, chat.ID, 1) // after the failed attempt
	f.stop()
	logs := f.logs.String()
	if !strings.Contains(logs, "getUpdates failed") || !strings.Contains(logs, "send failed") {
		t.Fatalf("the failures were not logged:\n%s", logs)
	}
	if !strings.Contains(logs, "upstream failed") {
		t.Errorf("the error page is not quoted in the log (nothing to redact):\n%s", logs)
	}
	if leaked := leakedForms(logs); len(leaked) > 0 {
		t.Errorf("token in the log, as %v:\n%s", leaked, logs)
	}
}

// leakedForms names the forms of the token found in text.
func leakedForms(text string) []string {
	var out []string
	for name, form := range tokenForms(telegramtest.Token) {
		if strings.Contains(text, form) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
