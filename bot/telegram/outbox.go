package telegram

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"

	"tsbot/bot"
	"tsbot/data"
)

// The outbox, Telegram's side. The handler stores every reply with the
// receipt of the update it answers (once.go), leased to this process from
// the start: the adapter sends it from memory as soon as the write returns
// (sendNow), with no claim transaction on the user's path. This loop sends
// everything else that is pending (reminders, retries, another instance's
// or a crashed process's replies once their leases ran out), oldest first.
// Both go through the Sender's per-chat queues, and are marked sent, in
// groups, when Telegram has answered. What is still unsent at a crash or a
// restart is sent by the next process, marked 补发. A message is leased while
// it is being sent, so two instances on one database send it once.

// outboxBatch is how many messages one claim takes.
const outboxBatch = 50

// outboxAttempts bounds the claims of one message: with the Sender's own
// retries inside each, and the backoff between them, about a day of trying.
const outboxAttempts = 12

type telegramOutbox struct {
	t     *Adapter
	store *data.Store
	log   *slog.Logger
	lease time.Duration
	every time.Duration // a look without a kick: retries, other instances
	// backoff is the first wait before a failed message is tried again,
	// doubled with each attempt.
	backoff time.Duration
	start   time.Time

	kick  chan struct{}
	marks chan mark

	mu       sync.Mutex
	inflight map[int64]bool
	stopping bool
	wg       sync.WaitGroup // deliveries in flight
}

func newTelegramOutbox(t *Adapter, store *data.Store, opts Options) *telegramOutbox {
	return &telegramOutbox{t: t, store: store, log: t.log, lease: opts.OutboxLease, every: opts.OutboxEvery, backoff: opts.OutboxBackoff, start: time.Now(),
		kick: make(chan struct{}, 1), marks: make(chan mark, 1024), inflight: map[int64]bool{}}
}

// poke says there is something new to send.
func (o *telegramOutbox) poke() {
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// run sends until ctx ends.
func (o *telegramOutbox) run(ctx context.Context) {
	if err := o.store.OutboxWake(ctx, Name); err != nil {
		o.log.Warn("outbox: wake failed", slog.Any("err", err))
	}
	tick := time.NewTicker(o.every)
	defer tick.Stop()
	for {
		for o.claim(ctx) == outboxBatch {
		}
		select {
		case <-o.kick:
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}

// keepLeases renews, every o.every until stop, the leases of the messages
// this process is sending. It outlives the claim loop: at shutdown the
// Sender still sends what is queued, within ShutdownWait, and a lease run
// out meanwhile would let another instance send those messages too.
func (o *telegramOutbox) keepLeases() (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(o.every)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				// A renewal later than a lease is no use; one slower than a
				// tick is made up by the next, which then comes at once.
				ctx, cancel := context.WithTimeout(context.Background(), o.lease)
				o.renew(ctx)
				cancel()
			case <-done:
				return
			}
		}
	}()
	return func() { close(done); <-finished }
}

// renew keeps the leases of the messages this process is sending.
func (o *telegramOutbox) renew(ctx context.Context) {
	o.mu.Lock()
	ids := make([]int64, 0, len(o.inflight))
	for id := range o.inflight {
		ids = append(ids, id)
	}
	o.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	if err := o.store.OutboxRenew(ctx, ids, o.lease); err != nil {
		o.log.Warn("outbox: lease not renewed", slog.Any("err", err))
	}
}

// claim takes due messages and queues them; it returns how many it took.
func (o *telegramOutbox) claim(ctx context.Context) int {
	ms, err := o.store.ClaimOutbox(ctx, Name, outboxBatch, o.lease)
	if err != nil {
		if ctx.Err() == nil {
			o.log.Warn("outbox: claim failed", slog.Any("err", err))
		}
		return 0
	}
	for _, m := range ms {
		o.take(m)
	}
	return len(ms)
}

// sendNow sends a reply stored leased to this process: no claim, no poke.
// Its lease is renewed with the claimed ones while it waits in its chat's
// queue.
func (o *telegramOutbox) sendNow(m data.OutboxMessage) { o.take(m) }

// take queues a leased message unless this process is sending it already
// (its lease ran out while Telegram was slow: still ours).
func (o *telegramOutbox) take(m data.OutboxMessage) {
	o.mu.Lock()
	busy := o.inflight[m.ID]
	o.inflight[m.ID] = true
	if !busy {
		o.wg.Add(1)
	}
	o.mu.Unlock()
	if busy {
		return
	}
	dones, err := o.queue(m)
	go o.finish(m, dones, err)
}

// queue hands one message to the Sender; it returns the results to wait for.
func (o *telegramOutbox) queue(m data.OutboxMessage) ([]chan error, error) {
	out, err := bot.DecodeOutgoing(m.Body)
	if err != nil {
		return nil, err
	}
	// Tried before, or left by an earlier process: it may have gone out
	// already, so what goes now says so; the parts confirmed sent are
	// skipped.
	again := resend{skip: m.PartsSent, marked: m.Attempts > 0 || m.CreatedAt.Before(o.start)}
	return o.t.queueReply(m.ChatID, int(out.ReplyTo), out.Reply, int(out.Press), true, again), nil
}

// finish waits for one message's sends and records the result.
func (o *telegramOutbox) finish(m data.OutboxMessage, dones []chan error, err error) {
	defer o.wg.Done()
	// The parts went out in order: count those sent before the first that
	// failed, so that a retry starts from it and sends none twice.
	sent := m.PartsSent
	if err == nil {
		for _, d := range dones {
			if derr := <-d; derr != nil && err == nil {
				err = derr
			} else if derr == nil && err == nil {
				sent++
			}
		}
	}
	o.mu.Lock()
	stopping := o.stopping
	o.mu.Unlock()
	// Out of inflight only once the result is recorded: until then the
	// lease is renewed, and no claim takes the message again.
	defer func() {
		o.mu.Lock()
		delete(o.inflight, m.ID)
		o.mu.Unlock()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	attrs := []any{slog.Int64("outbox_id", m.ID), slog.Int64("chat_id", m.ChatID), slog.Int("attempt", m.Attempts+1)}
	var serr error
	switch {
	case err == nil:
		done := make(chan struct{})
		o.marks <- mark{m.ID, done}
		<-done
		return
	case stopping && !permanentSend(err):
		serr = o.store.OutboxRelease(ctx, m.ID, sent)
		o.log.Warn("outbox: not sent before shutdown, left for the next start", append(attrs, slog.Any("err", err))...)
	case permanentSend(err) || m.Attempts+1 >= outboxAttempts || (m.Expires != nil && time.Now().Add(o.backoffFor(m)).After(*m.Expires)):
		status := data.ReminderFailed
		if errors.Is(err, tgbot.ErrorForbidden) {
			status = data.ReminderSkipped // the chat refuses the bot: nobody to tell
		}
		serr = o.store.OutboxFailed(ctx, m.ID, err.Error(), status)
		o.log.Error("outbox: message given up", append(attrs, slog.String("reminder_key", m.Reminder), slog.Any("err", err))...)
		if m.Reminder != "" && chatGone(err) {
			if gerr := o.t.h.ChatGone(ctx, Name, m.ChatID); gerr != nil {
				o.log.Error("outbox: chat gone not reported", append(attrs, slog.Any("err", gerr))...)
			}
			o.poke()
		}
	default:
		wait := o.backoffFor(m)
		serr = o.store.OutboxRetry(ctx, m.ID, time.Now().Add(wait), err.Error(), sent)
		o.log.Warn("outbox: send failed, will try again", append(attrs, slog.Duration("backoff", wait), slog.Any("err", err))...)
	}
	if serr != nil {
		o.log.Error("outbox: result not recorded; the lease will run out and it is sent again", append(attrs, slog.Any("err", serr))...)
	}
}

// backoffFor is the backoff before the next try of m.
func (o *telegramOutbox) backoffFor(m data.OutboxMessage) time.Duration {
	return min(time.Duration(1<<min(m.Attempts, 10))*o.backoff, 2*time.Hour)
}

// permanentSend is a refusal that trying again will not change.
func permanentSend(err error) bool {
	return errors.Is(err, tgbot.ErrorForbidden) || permanent(err)
}

// markGather is how long the marker gathers marks after the first of a
// group: marking one message at a time would cost a transaction per reply,
// and each takes SQLite's write lock from the ledger's writer, which then
// sleeps on busy_timeout. A crash inside it only means the replies of those
// few milliseconds go out again, marked 补发.
const markGather = 50 * time.Millisecond

// maxMarks bounds a group of marks.
const maxMarks = 500

// marker confirms sent messages in groups: one transaction for all that
// went out within markGather of the first, or while the previous group was
// committing. It returns when marks is closed and drained.
func (o *telegramOutbox) marker(done chan<- struct{}) {
	defer close(done)
	for first := range o.marks {
		group := o.gather([]mark{first})
		ids := make([]int64, len(group))
		for i, m := range group {
			ids[i] = m.id
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := o.store.OutboxSent(ctx, ids); err != nil {
			// Sent but not marked: sent again (补发) once the lease is out.
			o.log.Error("outbox: sent messages not marked", slog.Int("count", len(ids)), slog.Any("err", err))
		}
		cancel()
		for _, m := range group {
			close(m.done)
		}
	}
}

// gather adds to group the marks that come within markGather, up to
// maxMarks; it returns at once when marks is closed (shutdown).
func (o *telegramOutbox) gather(group []mark) []mark {
	t := time.NewTimer(markGather)
	defer t.Stop()
	for len(group) < maxMarks {
		select {
		case m, ok := <-o.marks:
			if !ok {
				return group
			}
			group = append(group, m)
		case <-t.C:
			return group
		}
	}
	return group
}

// mark is a sent message to confirm; done is closed once it is recorded.
type mark struct {
	id   int64
	done chan struct{}
}

// drain sends what is pending (within wait), then returns once every
// delivery has finished or been abandoned; call before the Sender closes.
func (o *telegramOutbox) drain(wait time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	o.claim(ctx)
	o.mu.Lock()
	o.stopping = true
	o.mu.Unlock()
}

// wait waits for the deliveries (after the Sender closed, all end), then
// the last marks.
func (o *telegramOutbox) wait(markerDone <-chan struct{}) {
	o.wg.Wait()
	close(o.marks)
	<-markerDone
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if left, err := o.store.Outbox(ctx, Name, data.OutboxPending); err == nil && len(left) > 0 {
		chats := make([]int64, 0, len(left))
		for _, m := range left {
			chats = append(chats, m.ChatID)
		}
		o.log.Warn("outbox: messages left to send at the next start", slog.Int("count", len(left)), slog.Any("chat_ids", chats))
	}
}
