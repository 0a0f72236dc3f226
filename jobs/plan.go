package jobs

import (
	"fmt"
	"io"
	"strings"
	"time"

	"tsbot/data"
)

// What tsbot remind -at … -dry-run prints, and how it reads the instant.

// ParseInstant reads RFC3339, or "2006-01-02 15:04" in the campaign's zone.
func ParseInstant(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.In(loc), nil
	}
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf(`remind: -at %q: use RFC3339 (2027-09-21T09:00:00+08:00) or "2027-09-21 09:00"`, s)
	}
	return t, nil
}

// WritePlan writes a dry run: one block per reminder and chat due at that
// instant, then one line for what would be recorded as not sent, by reason.
func WritePlan(w io.Writer, now time.Time, plan []Delivery) {
	fmt.Fprintf(w, "%s 到期的提醒（试运行：不发送，不记录）\n", now.Format("2006-01-02 15:04 MST"))
	var reasons []string
	skipped := map[string]int{}
	sent := 0
	for _, d := range plan {
		if d.Skip != "" {
			if skipped[d.Skip] == 0 {
				reasons = append(reasons, d.Skip)
			}
			skipped[d.Skip]++
			continue
		}
		sent++
		chat := fmt.Sprintf("chat %d", d.ChatID)
		if data.IsDingTalkChat(d.ChatID) {
			chat = fmt.Sprintf("dingtalk chat %d", d.ChatID)
		}
		fmt.Fprintf(w, "\n== %s → %s (%s)\n", d.Reminder.Key, chat, d.ConfigKey)
		fmt.Fprintln(w, strings.TrimRight(d.Text, "\n"))
	}
	if sent == 0 {
		fmt.Fprintln(w, "（无）")
	}
	if len(reasons) > 0 {
		parts := make([]string, len(reasons))
		n := 0
		for i, r := range reasons {
			parts[i] = fmt.Sprintf("%s %d条", SkipLabel(r), skipped[r])
			n += skipped[r]
		}
		fmt.Fprintf(w, "\n另有%d条不发送（%s）。\n", n, strings.Join(parts, "，"))
	}
}
