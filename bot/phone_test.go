package bot

import (
	"flag"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// How a reply looks on a phone. Telegram on a 360 dp screen at the 19 px
// text size older staff use leaves about 28 Latin cells a line; Chinese is
// set in a proportional CJK font about 1.67 cells wide (not 2), emoji about
// 2. Every golden session's replies are measured this way, and a line too
// wide fails the test: a phone would wrap it, splitting a figure from what it
// measures. With -phone DIR the sessions are also written as HTML pages of a
// 360 px phone, which testdata/phone.sh turns into screenshots to look at.

var phoneDir = flag.String("phone", "", "write each golden session as a phone-sized HTML page into this folder")

// phoneCols is the width of a line at 19 px on a 360 dp screen, in Latin cells.
const phoneCols = 28

// shownReply is one exchange of a session: what was sent, and the reply.
type shownReply struct {
	in string
	r  Reply
}

// phoneCells is how many Latin cells s takes on a phone.
func phoneCells(s string) float64 {
	w := 0.0
	for _, r := range s {
		switch {
		case r == 0xFE0F || r == 0x200D || unicode.Is(unicode.Mn, r):
			// a variation selector, a joiner, a combining mark: no width
		case unicode.Is(unicode.Han, r) || (r >= 0x3000 && r <= 0x30FF) || (r >= 0xFF00 && r <= 0xFF60) || (r >= 0xFFE0 && r <= 0xFFE6):
			w += 1.67
		case r >= 0x1F000 || (r >= 0x2600 && r <= 0x27BF) || r == 0x2B50 || (r >= 0x2190 && r <= 0x21FF):
			w += 2 // emoji, drawn from the colour font
		case r >= 0x2500 && r <= 0x25FF:
			w += 1.67 // box and block glyphs fall back to the CJK font
		default:
			w++
		}
	}
	return w
}

// wideLines are the lines of text longer than a phone's line.
func wideLines(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if phoneCells(line) > phoneCols {
			out = append(out, fmt.Sprintf("%.1f cells: %s", phoneCells(line), line))
		}
	}
	return out
}

// laidOut says which replies must fit the line: a table, or a reply that
// shows figures against targets ("3/7"), one per line. Sentences (help,
// refusals, hints) wrap like any chat message.
func laidOut(r Reply) bool {
	return r.Pre || figureRE.MatchString(r.Text)
}

var figureRE = regexp.MustCompile(`[0-9]+/[0-9]+`)

// phone checks the session's laid-out replies against the phone's width,
// and writes the session's page with -phone.
func (f *fixture) phone(name string) {
	f.t.Helper()
	for _, s := range f.shown {
		if !laidOut(s.r) {
			continue
		}
		if wide := wideLines(s.r.Text); len(wide) > 0 {
			f.t.Errorf("%s: reply to %q has lines wider than %d cells on a phone:\n%s", name, s.in, phoneCols, strings.Join(wide, "\n"))
		}
	}
	if *phoneDir == "" {
		return
	}
	if err := os.MkdirAll(*phoneDir, 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*phoneDir, name+".html"), []byte(phonePage(name, f.shown)), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// phonePage draws a session as Telegram on a 360 px phone at 19 px: a
// bubble 340 px wide leaves 322 px of text, 28 cells of 11.4 px (a
// monospace Latin letter at 19 px); the message in the system's sans-serif
// with the CJK fallback, a table in a monospace font.
func phonePage(name string, shown []shownReply) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><meta charset="utf-8"><title>` + html.EscapeString(name) + `</title>
<style>
body{width:360px;margin:0;padding:8px 0;background:#dfe7ee;font:19px/1.35 Roboto,"Noto Sans","DejaVu Sans","Noto Sans CJK SC","Noto Color Emoji",sans-serif}
.in,.out{margin:6px 10px;padding:6px 9px;border-radius:10px;white-space:pre-wrap;overflow-wrap:anywhere;max-width:340px;box-sizing:border-box}
.in{background:#effdde;margin-left:auto;width:fit-content}
.out{background:#fff;width:fit-content}
pre{margin:0;font:inherit;font-family:"Roboto Mono","DejaVu Sans Mono","Noto Sans Mono CJK SC",monospace;white-space:pre-wrap}
.btn{display:block;margin:3px 10px 8px;max-width:340px;padding:6px;border-radius:8px;background:#5d8fbc;color:#fff;text-align:center;font-size:16px}
</style>
`)
	for _, s := range shown {
		fmt.Fprintf(&b, "<div class=in>%s</div>\n", html.EscapeString(s.in))
		if s.r.Text == "" {
			continue
		}
		text := html.EscapeString(s.r.Text)
		if s.r.Pre {
			text = "<pre>" + text + "</pre>"
		}
		fmt.Fprintf(&b, "<div class=out>%s</div>\n", text)
		for _, bt := range s.r.Buttons {
			fmt.Fprintf(&b, "<div class=btn>%s</div>\n", html.EscapeString(bt.Label))
		}
	}
	return b.String()
}

func TestPhoneCells(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want float64
	}{
		{"latin", "0/20", 4},
		{"han", "柯桥", 3.34},
		{"full-width punctuation", "（）", 3.34},
		{"emoji with its selector", "⚠️", 2},
		{"a record line", "柯桥 辅导企业 8/20 还差12家", 1.67*9 + 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := phoneCells(tt.s); got < tt.want-0.01 || got > tt.want+0.01 {
				t.Errorf("phoneCells(%q) = %.2f, want %.2f", tt.s, got, tt.want)
			}
		})
	}
}
