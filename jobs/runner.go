package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"tsbot/data"
)

// Notifier delivers one text to one chat. The Telegram sender, behind a
// small adapter in main, is the production one; it paces messages within
// Telegram's limits (30/s overall, 1/s per chat, 20/min per group) and
// retries 429 and 5xx itself. The runner sends one message at a time and
// waits for each, so it never has more than one in flight.
type Notifier interface {
	Notify(ctx context.Context, chatID int64, text string) error
}

// Queue is a notifier that keeps messages durably and sends them itself
// (the bot's outbox). QueueReminder claims the reminder for the chat and
// queues its text, and its picture if any, in one step, so a crash cannot
// lose a claimed reminder; the queue retries a failed send until expires and
// then records it failed. False: the pair was claimed before, nothing queued.
type Queue interface {
	QueueReminder(ctx context.Context, key string, chatID int64, text string, pic *data.File, expires time.Time) (bool, error)
}

// Draw draws the weekly digest's picture at now, a PNG (SetPicture).
type Draw func(ctx context.Context, now time.Time) (data.File, error)

// StatusQueued is the Outcome of a reminder handed to a Queue: its
// sent_reminders row stays claimed until the queue has sent it.
const StatusQueued = "queued"

// ErrUnreachable wraps a send that the chat refuses for good: the runner
// records such a reminder as skipped rather than failed.
var ErrUnreachable = data.ErrUnreachable

// Store is what the runner needs of data.Store.
type Store interface {
	Totals(ctx context.Context) (map[string]data.Counts, error)
	ProgressBetween(ctx context.Context, from, to time.Time) ([]data.Progress, error)
	People(ctx context.Context) ([]data.Person, error)
	ClaimReminder(ctx context.Context, key string, chatID int64, at time.Time) (bool, error)
	SkipReminder(ctx context.Context, key string, chatID int64, reason string, at time.Time) (bool, error)
	FinishReminder(ctx context.Context, key string, chatID int64, status, errText string, at time.Time) error
	Confirmations(ctx context.Context) (map[string]data.Confirmation, error)
	ReminderState(ctx context.Context, now time.Time) (data.ReminderState, error)
	Bindings(ctx context.Context) (map[string]int64, error)
}

// Skip reasons recorded in sent_reminders.
const (
	SkipMissed      = "missed: its day passed while the bot was down"
	SkipTargetsMet  = "nothing to say: every target met"
	SkipNoRecipient = "no recipient"
	SkipPaused      = "paused by the contact person (/pause)"
	SkipByContact   = "skipped by the contact person (/skip)"
)

// SkipLabel says a skip reason in Chinese, for remind -dry-run.
func SkipLabel(reason string) string {
	switch reason {
	case SkipMissed:
		return "停机期间到期、已错过"
	case SkipTargetsMet:
		return "已完成全部目标"
	case SkipNoRecipient:
		return "没有收件人"
	case SkipPaused:
		return "提醒已暂停"
	case SkipByContact:
		return "已由联系人跳过"
	}
	return reason
}

// Runner sends the campaign's reminders: at most once per reminder and chat,
// recorded in the store before the send.
type Runner struct {
	store    Store
	campaign *data.Campaign
	cfg      data.RemindersConfig
	log      *slog.Logger
	all      []Reminder
	// Now is the clock of the cron ticks and of the times recorded.
	Now func() time.Time

	mu     sync.Mutex // one pass at a time; guards notify, dir and handled
	notify Notifier
	draw   Draw      // nil: the weekly digest is text only
	dir    Directory // nil: Telegram's ids (see SetDirectory)
	// handled holds the keys this process has recorded for every recipient,
	// so a tick each minute does not ask the database about last week.
	handled map[string]bool
	// bound are the groups bound from chat (/bind), by county, as read at
	// the start of the pass under way.
	bound map[string]int64
}

// loadBindings reads the groups bound from chat for the pass under way.
func (r *Runner) loadBindings(ctx context.Context) error {
	b, err := r.store.Bindings(ctx)
	if err != nil {
		return fmt.Errorf("jobs: bindings: %w", err)
	}
	r.bound = b
	return nil
}

// NewRunner checks the reminder config against the campaign and builds the
// runner. n may be nil until SetNotifier (the Telegram adapter is built
// after the handler that shows /reminders). Errors name the config key.
func NewRunner(store Store, n Notifier, c *data.Campaign, cfg data.RemindersConfig, log *slog.Logger) (*Runner, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	all, err := Schedule(c, cfg)
	if err != nil {
		return nil, err
	}
	return &Runner{store: store, notify: n, campaign: c, cfg: cfg, log: log, all: all,
		Now: time.Now, handled: map[string]bool{}}, nil
}

// SetNotifier sets where messages go.
func (r *Runner) SetNotifier(n Notifier) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notify = n
}

// SetPicture makes the weekly digest carry the picture draw draws, where it
// goes through a Queue (the channels' outboxes; remind sends text only).
func (r *Runner) SetPicture(draw Draw) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.draw = draw
}

// picture is the picture that goes with d, nil for none. A picture that
// cannot be drawn (no CJK font) leaves the digest its text.
func (r *Runner) picture(ctx context.Context, d Delivery) *data.File {
	if r.draw == nil || d.Reminder.Kind != KindWeeklyDigest {
		return nil
	}
	p, err := r.draw(ctx, r.Now())
	if err != nil {
		r.log.Warn("reminder: picture not drawn, the digest goes as text", r.attrs(d, slog.Any("err", err))...)
		return nil
	}
	return &p
}

// Reminders is the whole schedule.
func (r *Runner) Reminders() []Reminder { return r.all }

// Delivery is one reminder for one chat, as a pass would send it.
type Delivery struct {
	Reminder Reminder
	ChatID   int64  // 0 when the reminder has no recipient
	Text     string // the full text; "" when skipped
	Skip     string // why it is not sent: one of the Skip reasons; "" to send
	// ConfigKey names the setting that chose the recipient, for the log.
	ConfigKey string
}

// Plan works out what a pass at now would do: every reminder due at now
// and not yet handled by this runner, with its recipients and texts, and
// the missed ones to record as skipped. It reads the store but records
// nothing: remind --dry-run prints it.
func (r *Runner) Plan(ctx context.Context, now time.Time) ([]Delivery, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.plan(ctx, now)
}

func (r *Runner) plan(ctx context.Context, now time.Time) ([]Delivery, error) {
	due, missed := Due(r.all, now)
	due, missed = r.unhandled(due), r.unhandled(missed)
	if len(due) == 0 && len(missed) == 0 {
		return nil, nil
	}
	people, err := r.audience(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.loadBindings(ctx); err != nil {
		return nil, err
	}
	var out []Delivery
	for _, m := range missed {
		out = append(out, r.deliveries(m, people, "", SkipMissed)...)
	}
	if len(due) == 0 {
		return out, nil
	}
	state, err := r.store.ReminderState(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("jobs: controls: %w", err)
	}
	var send []Reminder
	for _, d := range due {
		switch {
		case state.Skipped[d.Key]:
			out = append(out, r.deliveries(d, people, "", SkipByContact)...)
		case state.Paused:
			out = append(out, r.deliveries(d, people, "", SkipPaused)...)
		default:
			send = append(send, d)
		}
	}
	if len(send) == 0 {
		return out, nil
	}
	s, err := r.snapshot(ctx, now)
	if err != nil {
		return nil, err
	}
	for _, d := range send {
		text, ok := render(s, d)
		skip := ""
		if !ok {
			skip = SkipTargetsMet
		}
		out = append(out, r.deliveries(d, people, text, skip)...)
	}
	return out, nil
}

func (r *Runner) unhandled(rs []Reminder) []Reminder {
	var out []Reminder
	for _, x := range rs {
		if !r.handled[x.Key] {
			out = append(out, x)
		}
	}
	return out
}

// snapshot reads the totals and the pace window of the ledger once per pass.
func (r *Runner) snapshot(ctx context.Context, now time.Time) (Snapshot, error) {
	done, err := r.store.Totals(ctx)
	if err != nil {
		return Snapshot{}, fmt.Errorf("jobs: totals: %w", err)
	}
	progress, err := r.store.ProgressBetween(ctx, now.Add(-PaceWindow), now)
	if err != nil {
		return Snapshot{}, fmt.Errorf("jobs: pace: %w", err)
	}
	history := make([]Point, 0, len(progress))
	for _, p := range progress {
		history = append(history, Point{At: p.At, County: p.County, Indicator: p.Indicator, Delta: p.Delta})
	}
	confs, err := r.store.Confirmations(ctx)
	if err != nil {
		return Snapshot{}, fmt.Errorf("jobs: confirmations: %w", err)
	}
	s := NewSnapshot(r.campaign, now, done, history)
	s.Confirmed = map[string]bool{}
	for county := range confs {
		s.Confirmed[county] = true
	}
	return s, nil
}

// render is the text of a reminder; ok is false when there is nothing to
// say (a county nag for a county that met every target).
func render(s Snapshot, rem Reminder) (string, bool) {
	switch rem.Kind {
	case KindContactDigest, KindWeeklyDigest:
		return ContactDigest(s, rem), true
	case KindCountyNag:
		return CountyNag(s, rem.County, rem)
	case KindAcceptanceBefore, KindAcceptanceAfter:
		return AcceptanceNote(s, rem, rem.County), true
	}
	return "", false
}

// deliveries fans a reminder out to its recipients; with none, one delivery
// to chat 0 that is skipped, so the gap is logged and recorded.
func (r *Runner) deliveries(rem Reminder, people audience, text, skip string) []Delivery {
	chats, configKey := r.recipients(rem.County, people)
	if skip != "" {
		text = ""
	}
	if len(chats) == 0 {
		if skip == "" {
			skip = SkipNoRecipient
		}
		return []Delivery{{Reminder: rem, Skip: skip, ConfigKey: configKey}}
	}
	out := make([]Delivery, len(chats))
	for i, id := range chats {
		out[i] = Delivery{Reminder: rem, ChatID: id, Text: text, Skip: skip, ConfigKey: configKey}
	}
	return out
}

// recipients resolves who reads a reminder about county ("" for the city
// contact): the county's (or the contact's) groups on every channel that
// has one, else the roster members it concerns, in their private chats on
// each channel they use.
func (r *Runner) recipients(county string, people audience) ([]int64, string) {
	var chats []int64
	if county == "" {
		if g := people.groups[""]; len(g) > 0 {
			return g, "reminders.contact_chat_id"
		}
		for _, p := range people.people {
			if p.Role == data.RoleAdmin {
				chats = append(chats, people.private[p.UserID]...)
			}
		}
		return chats, "reminders.contact_chat_id (0: every admin on the roster)"
	}
	if id, ok := r.bound[county]; ok {
		// The group bound from chat (/bind) takes the place of the
		// county's Telegram chat_id; its DingTalk groups and robot stay.
		chats = append(chats, id)
		for _, g := range people.groups[county] {
			if data.IsDingTalkChat(g) {
				chats = append(chats, g)
			}
		}
		return chats, "/bind " + county
	}
	i := r.countyIndex(county)
	key := fmt.Sprintf("campaign.counties[%d].chat_id", i)
	if g := people.groups[county]; i >= 0 && len(g) > 0 {
		return g, key
	}
	for _, p := range people.people {
		if p.Role == data.RoleCounty && p.County == county {
			chats = append(chats, people.private[p.UserID]...)
		}
	}
	return chats, key + " (0: the county's staff on the roster)"
}

func (r *Runner) countyIndex(name string) int {
	for i, co := range r.campaign.Counties {
		if co.Name == name {
			return i
		}
	}
	return -1
}

// Outcome is what a pass did with one delivery.
type Outcome struct {
	Delivery
	Status string // data.ReminderSent, ReminderSkipped, ReminderFailed, StatusQueued; "" when already recorded
	Err    error
}

// RunAt sends what is due at now. Each (reminder, chat) is claimed in the
// store before it is sent and never sent again: a second pass, a second
// process on the same database, or a restart finds the claim and moves on.
// Missed reminders (an earlier day) are recorded as skipped and logged once.
// It stops between two sends when ctx ends; what is not yet claimed is left
// to the next pass, which still sends it if it is still the same day.
func (r *Runner) RunAt(ctx context.Context, now time.Time) ([]Outcome, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	plan, err := r.plan(ctx, now)
	if err != nil {
		return nil, err
	}
	var out []Outcome
	complete := map[string]bool{} // key → every recipient recorded
	for _, d := range plan {
		if err := ctx.Err(); err != nil {
			return out, fmt.Errorf("jobs: run: %w", err)
		}
		if _, seen := complete[d.Reminder.Key]; !seen {
			complete[d.Reminder.Key] = true
		}
		o, err := r.deliver(ctx, d)
		if err != nil {
			complete[d.Reminder.Key] = false
			r.log.Error("reminder: not recorded", r.attrs(d, slog.Any("err", err))...)
			continue
		}
		if o.Status != "" {
			out = append(out, o)
		}
	}
	for key, ok := range complete {
		if ok {
			r.handled[key] = true
		}
	}
	return out, nil
}

// deliver records and sends one delivery. The error is the store's only: a
// failed send is an Outcome.
func (r *Runner) deliver(ctx context.Context, d Delivery) (Outcome, error) {
	o := Outcome{Delivery: d}
	if d.Skip != "" {
		fresh, err := r.store.SkipReminder(ctx, d.Reminder.Key, d.ChatID, d.Skip, r.Now())
		if err != nil || !fresh {
			return o, err
		}
		o.Status = data.ReminderSkipped
		switch d.Skip {
		case SkipNoRecipient:
			r.log.Error("reminder: no recipient, set the chat id or add people to the roster", r.attrs(d)...)
		case SkipMissed:
			r.log.Warn("reminder: missed while the bot was down, not sent late", r.attrs(d)...)
		default:
			r.log.Info("reminder: skipped", r.attrs(d, slog.String("reason", d.Skip))...)
		}
		return o, nil
	}
	if r.notify == nil {
		return o, errors.New("jobs: no notifier set: nothing claimed")
	}
	if q, ok := r.notify.(Queue); ok {
		now := r.Now().In(r.campaign.Zone())
		endOfDay := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, now.Location())
		queued, err := q.QueueReminder(ctx, d.Reminder.Key, d.ChatID, d.Text, r.picture(ctx, d), endOfDay)
		if err != nil || !queued {
			return o, err
		}
		o.Status = StatusQueued
		r.log.Info("reminder: queued", r.attrs(d)...)
		return o, nil
	}
	claimed, err := r.store.ClaimReminder(ctx, d.Reminder.Key, d.ChatID, r.Now())
	if err != nil || !claimed {
		return o, err
	}
	// From here the claim stands: a crash before the send below loses this
	// message for this chat rather than risking it twice (see data.SentReminder).
	o.Err = r.send(ctx, d.ChatID, d.Text)
	errText := ""
	o.Status = data.ReminderSent
	switch {
	case o.Err == nil:
		r.log.Info("reminder: sent", r.attrs(d)...)
	case errors.Is(o.Err, ErrUnreachable):
		o.Status, errText = data.ReminderSkipped, o.Err.Error()
		r.log.Warn("reminder: chat refuses the bot, skipped", r.attrs(d, slog.Any("err", o.Err))...)
	default:
		o.Status, errText = data.ReminderFailed, o.Err.Error()
		r.log.Error("reminder: send failed", r.attrs(d, slog.Any("err", o.Err))...)
	}
	// Recorded even when ctx ended during the send, so shutdown leaves an
	// outcome rather than a bare claim.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return o, r.store.FinishReminder(fctx, d.Reminder.Key, d.ChatID, o.Status, errText, r.Now())
}

// send delivers text whole: the channel cuts it into messages of the size
// it allows.
func (r *Runner) send(ctx context.Context, chatID int64, text string) error {
	return r.notify.Notify(ctx, chatID, text)
}

func (r *Runner) attrs(d Delivery, more ...any) []any {
	a := []any{
		slog.String("reminder_key", d.Reminder.Key),
		slog.String("kind", d.Reminder.Kind.String()),
		slog.Int64("chat_id", d.ChatID),
		slog.String("config_key", d.ConfigKey),
	}
	if d.Reminder.County != "" {
		a = append(a, slog.String("county", d.Reminder.County))
	}
	return append(a, more...)
}

// Run sends reminders until ctx ends: one pass at once, so a reminder whose
// time passed while the bot was down still goes out if it is the same day,
// then one at every minute, in the campaign's zone. It returns after the
// pass under way has finished.
func (r *Runner) Run(ctx context.Context) error {
	loc := r.campaign.Zone()
	tick := func() {
		if _, err := r.RunAt(ctx, r.Now().In(loc)); err != nil && ctx.Err() == nil {
			r.log.Error("reminders: pass failed", slog.Any("err", err))
		}
	}
	c := cron.New(cron.WithLocation(loc), cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	if _, err := c.AddFunc("* * * * *", tick); err != nil {
		return fmt.Errorf("jobs: cron: %w", err)
	}
	next := Next(r.all, r.Now(), 1)
	attrs := []any{slog.Int("reminders", len(r.all))}
	if len(next) > 0 {
		attrs = append(attrs, slog.String("next_key", next[0].Key), slog.Time("next_at", next[0].At))
	}
	r.log.Info("reminders: started", attrs...)
	tick()
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	r.log.Info("reminders: stopped")
	return nil
}

// ErrNothingToSay refuses a nudge without text of a county that met every target.
var ErrNothingToSay = errors.New("jobs: nudge: every target met")

// Problems lists what would make reminders reach nobody, in the config's
// words, for the start-up log: a county with no chat_id and no staff on the
// roster, a contact with no chat and no admin, roster staff of a county the
// campaign no longer has. They are not start-up errors: the roster changes
// from chat (/adduser), and a new bot must start for people to find their
// user id. A pass logs and records each gap again when it matters.
func (r *Runner) Problems(ctx context.Context) ([]Problem, error) {
	if !r.cfg.Enabled || len(r.all) == 0 {
		return nil, nil
	}
	people, err := r.audience(ctx)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.loadBindings(ctx); err != nil {
		return nil, err
	}
	var out []Problem
	if chats, key := r.recipients("", people); len(chats) == 0 {
		out = append(out, Problem{Key: strings.Fields(key)[0], Text: "0 and no admin on the roster: the contact person's reminders reach nobody"})
	}
	for _, co := range r.campaign.Counties {
		if chats, key := r.recipients(co.Name, people); len(chats) == 0 {
			out = append(out, Problem{Key: strings.Fields(key)[0], Text: fmt.Sprintf("0 and no staff of %s on the roster: its reminders reach nobody", co.Name)})
		}
	}
	for _, p := range people.people {
		if p.Role == data.RoleCounty && r.countyIndex(p.County) < 0 {
			out = append(out, Problem{Key: "roster", Text: fmt.Sprintf("user %d is staff of %q, which campaign.counties does not list: they get no reminders", p.UserID, p.County)})
		}
	}
	return out, nil
}

// Problem is a gap in the recipients, with the config key that would close it.
type Problem struct{ Key, Text string }

func (p Problem) String() string { return p.Key + ": " + p.Text }
