package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"tsbot/data"
)

// What the chat commands ask of the runner: the schedule ahead (/reminders),
// a reminder by its number (/skip), a nudge (/remind), the digest now
// (/remindnow).

// groups are the reminder lines after now, at most n (0: all).
func (r *Runner) groups(now time.Time, n int) []group {
	var out []group
	for i := 0; i < len(r.all) && (n == 0 || len(out) < n); {
		rem := r.all[i]
		j := i + 1
		for j < len(r.all) && r.all[j].At.Equal(rem.At) && r.all[j].Kind == rem.Kind && (r.all[j].County == "") == (rem.County == "") {
			j++
		}
		if rem.At.After(now) {
			out = append(out, group{ID: i + 1, Rems: r.all[i:j]})
		}
		i = j
	}
	return out
}

func (r *Runner) line(g group, now time.Time) string {
	rem := g.Rems[0]
	who := "联系人"
	if rem.County != "" {
		who = "各区县"
		if len(g.Rems) == 1 {
			who = rem.County
		}
	}
	at := rem.At.In(r.campaign.Zone())
	year := ""
	if at.Year() != now.In(at.Location()).Year() {
		year = fmt.Sprintf("%d年", at.Year()) // a campaign set up a year ahead
	}
	return fmt.Sprintf("#%d %s%s%s %s → %s", g.ID, year, monthDayWeek(at), at.Format("15:04"), rem.Kind.Label(), who)
}

// Upcoming describes the next n reminder times after now, one line each in
// Chinese and local time, with the id /skip takes; the per-county copies of
// one reminder share a line. A line the contact person skipped says so.
func (r *Runner) Upcoming(ctx context.Context, now time.Time, n int) []string {
	state, err := r.store.ReminderState(ctx, now)
	if err != nil {
		r.log.Warn("reminders: controls not read", slog.Any("err", err))
	}
	var lines []string
	for _, g := range r.groups(now, n) {
		l := r.line(g, now)
		if state.Skipped[g.Rems[0].Key] {
			l += "（已跳过）"
		}
		lines = append(lines, l)
	}
	return lines
}

// Resolve finds the reminders of line id (see Upcoming) that are still to
// come after now: their keys and the line.
func (r *Runner) Resolve(now time.Time, id int) (keys []string, line string, ok bool) {
	for _, g := range r.groups(now, 0) {
		if g.ID == id {
			for _, rem := range g.Rems {
				keys = append(keys, rem.Key)
			}
			return keys, r.line(g, now), true
		}
	}
	return nil, "", false
}

// NudgeNow sends a one-off reminder to county's chats now: text, or when
// empty the county's gaps and the time left. It returns how many chats got
// it. The rate limit is the caller's (data.Store.Nudge).
func (r *Runner) NudgeNow(ctx context.Context, county, text string) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.campaign
	cal := data.NewCalendar(c)
	now := r.Now().In(cal.Location())
	rem := Reminder{Key: "nudge:" + county + ":" + now.Format("2006-01-02T15:04:05"), Kind: KindCountyNag, County: county, At: now, Deadline: c.ListsDue}
	if !c.ListsDue.IsZero() {
		rem.DaysLeft, rem.WorkingDaysLeft = cal.DaysLeft(now, c.ListsDue), cal.WorkingDaysLeft(now, c.ListsDue)
	}
	if text == "" {
		s, err := r.snapshot(ctx, now)
		if err != nil {
			return 0, err
		}
		t, ok := CountyNag(s, county, rem)
		if !ok {
			return 0, ErrNothingToSay
		}
		text = t
	} else {
		text = "【" + county + "】市局提醒：\n" + text
	}
	people, err := r.audience(ctx)
	if err != nil {
		return 0, err
	}
	if err := r.loadBindings(ctx); err != nil {
		return 0, err
	}
	return r.deliverNow(ctx, r.deliveries(rem, people, text, ""), "nudge")
}

// deliverNow sends a one-off reminder to each of its chats and says to how
// many it went; what names the command in errors. A reminder with no
// recipient is refused before anything is sent or recorded.
func (r *Runner) deliverNow(ctx context.Context, ds []Delivery, what string) (int, error) {
	for _, d := range ds {
		if d.Skip == SkipNoRecipient {
			return 0, fmt.Errorf("jobs: %s: no recipient: set %s", what, d.ConfigKey)
		}
	}
	sent := 0
	for _, d := range ds {
		o, err := r.deliver(ctx, d)
		if err != nil {
			return sent, err
		}
		if o.Status == data.ReminderSent || o.Status == StatusQueued {
			sent++
		} else if o.Err != nil {
			return sent, o.Err
		}
	}
	return sent, nil
}

// SendDigestNow sends the contact person's digest at once (/remindnow).
// It is recorded under a key of the current minute, so a button pressed
// twice, or two admins at once, send it once. It returns how many chats got
// it; 0 with no error when it was sent this minute already.
func (r *Runner) SendDigestNow(ctx context.Context) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.campaign
	if c.ListsDue.IsZero() {
		return 0, errors.New("jobs: remindnow: campaign.lists_due is not set")
	}
	cal := data.NewCalendar(c)
	now := r.Now().In(cal.Location())
	if cal.DaysLeft(now, c.ListsDue) < 0 {
		return 0, fmt.Errorf("jobs: remindnow: lists_due %s has passed", ymd(c.ListsDue))
	}
	rem := Reminder{
		Key: "contact_digest:now:" + now.Format("2006-01-02T15:04"), Kind: KindContactDigest,
		At: now, Deadline: c.ListsDue,
		DaysLeft: cal.DaysLeft(now, c.ListsDue), WorkingDaysLeft: cal.WorkingDaysLeft(now, c.ListsDue),
	}
	people, err := r.audience(ctx)
	if err != nil {
		return 0, err
	}
	if err := r.loadBindings(ctx); err != nil {
		return 0, err
	}
	s, err := r.snapshot(ctx, now)
	if err != nil {
		return 0, err
	}
	return r.deliverNow(ctx, r.deliveries(rem, people, ContactDigest(s, rem), ""), "remindnow")
}

// group is the reminders of one line of /reminders: the per-county copies
// of one reminder share it. ID is the 1-based position of its first
// reminder in the schedule: stable while the config is.
type group struct {
	ID   int
	Rems []Reminder
}
