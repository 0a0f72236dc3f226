package telegram

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"golang.org/x/time/rate"
)

// SendLimits are the outgoing rates. Telegram allows about 30 messages a
// second overall, one a second in a chat (short bursts are tolerated) and
// 20 a minute in a group; going over earns 429s.
type SendLimits struct {
	Global      time.Duration // least gap between any two messages; 0: no limit
	GlobalBurst int
	Private     time.Duration // least gap in one private chat
	Group       time.Duration // least gap in one group
	ChatBurst   int
	// Attempts bounds tries of a send that fails on the network or with 5xx;
	// Backoff is the first wait, doubled each time. 429s wait retry_after
	// and count against FloodAttempts instead.
	Attempts      int
	Backoff       time.Duration
	FloodAttempts int
}

// DefaultSendLimits are Telegram's published limits.
func DefaultSendLimits() SendLimits {
	return SendLimits{
		Global: time.Second / 30, GlobalBurst: 30,
		Private: time.Second, Group: 3 * time.Second, ChatBurst: 3,
		Attempts: 5, Backoff: 500 * time.Millisecond, FloodAttempts: 5,
	}
}

// ErrSenderClosed is returned by a send after shutdown began.
var ErrSenderClosed = errors.New("telegram: sender closed")

// Sender delivers outgoing Bot API calls. Each chat has its own queue and
// goroutine, so a chat in flood wait, or a slow retry, holds up only that
// chat; a global limiter keeps the whole bot under Telegram's overall rate.
// A failed send is logged and dropped: it never touches the ledger.
type Sender struct {
	api    *tgbot.Bot
	log    *slog.Logger
	secret string
	limits SendLimits
	global *limiter

	// ctx outlives the callers' contexts: queued replies are sent after the
	// update that caused them is done. Close cancels it after draining.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	closed bool
	chats  map[int64]*chatQueue
}

type chatQueue struct {
	jobs    []job
	running bool
	rate    *limiter
}

// job is one Bot API call for a chat. limited calls are chat messages and
// count against the rates; answering a button press does not.
type job struct {
	method  string
	limited bool
	do      func(ctx context.Context) error
	done    chan error // nil: nobody waits
	// parts, if set, chains the calls of one message: after one failed,
	// those behind it are not made.
	parts *parts
}

// parts chains the calls that show one message (a document, then the
// pieces of a long text). Once one fails to be tried again, the rest are
// not made: the retry resumes from the failed one, and would send again
// any sent after it (and out of order).
type parts struct{ failed atomic.Bool }

// errEarlierPart is the result of a call not made because an earlier part
// of its message failed.
var errEarlierPart = errors.New("telegram: not sent: an earlier part of the message failed")

// NewSender builds a sender on a go-telegram/bot client.
func NewSender(api *tgbot.Bot, log *slog.Logger, limits SendLimits) *Sender {
	ctx, cancel := context.WithCancel(context.Background())
	if limits.Attempts <= 0 {
		limits.Attempts = 1
	}
	if limits.FloodAttempts <= 0 {
		limits.FloodAttempts = 1
	}
	return &Sender{
		api:    api,
		log:    RedactLogger(log, api.Token()),
		secret: api.Token(),
		limits: limits,
		global: newLimiter(limits.Global, limits.GlobalBurst),
		ctx:    ctx,
		cancel: cancel,
		chats:  map[int64]*chatQueue{},
	}
}

// Send delivers a plain text message and waits until it is sent or given
// up. A text over Telegram's 4096 characters goes out in several messages.
func (s *Sender) Send(ctx context.Context, chatID int64, text string) error {
	var errs []error
	for _, c := range split(text, maxText) {
		errs = append(errs, s.wait(ctx, s.enqueueText(chatID, c, nil, 0, true)))
	}
	return errors.Join(errs...)
}

// SendDocument uploads a file to a chat, with an optional caption, and waits.
func (s *Sender) SendDocument(ctx context.Context, chatID int64, name string, content []byte, caption string) error {
	done := make(chan error, 1)
	if err := s.enqueueDocument(chatID, name, content, caption, done, nil); err != nil {
		return err
	}
	return s.wait(ctx, done)
}

// enqueueDocument queues an upload; done (may be nil) receives its result.
// The reader is made anew for every attempt, so a retry sends the whole file.
func (s *Sender) enqueueDocument(chatID int64, name string, content []byte, caption string, done chan error, ps *parts) error {
	return s.enqueue(chatID, job{method: "sendDocument", limited: true, done: done, parts: ps, do: func(ctx context.Context) error {
		_, err := s.api.SendDocument(ctx, &tgbot.SendDocumentParams{
			ChatID:   chatID,
			Document: &models.InputFileUpload{Filename: name, Data: bytes.NewReader(content)},
			Caption:  caption,
		})
		return err
	}})
}

// enqueuePhoto queues a picture's upload (sendPhoto: shown in the chat);
// done (may be nil) receives its result.
func (s *Sender) enqueuePhoto(chatID int64, name string, content []byte, caption string, done chan error, ps *parts) error {
	return s.enqueue(chatID, job{method: "sendPhoto", limited: true, done: done, parts: ps, do: func(ctx context.Context) error {
		_, err := s.api.SendPhoto(ctx, &tgbot.SendPhotoParams{
			ChatID:  chatID,
			Photo:   &models.InputFileUpload{Filename: name, Data: bytes.NewReader(content)},
			Caption: caption,
		})
		return err
	}})
}

func (s *Sender) wait(ctx context.Context, done chan error) error {
	if done == nil {
		return ErrSenderClosed
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("telegram: send: %w", ctx.Err())
	}
}

// enqueueText queues one sendMessage; with wait it returns the channel the
// result arrives on.
func (s *Sender) enqueueText(chatID int64, text string, markup models.ReplyMarkup, replyTo int, wait bool) chan error {
	return s.enqueueMessage(chatID, &tgbot.SendMessageParams{ChatID: chatID, Text: text, ReplyMarkup: markup, ReplyParameters: quote(replyTo)}, wait, nil)
}

func (s *Sender) enqueueMessage(chatID int64, p *tgbot.SendMessageParams, wait bool, ps *parts) chan error {
	var done chan error
	if wait {
		done = make(chan error, 1)
	}
	// A refused job has its error on done already.
	_ = s.enqueue(chatID, job{method: "sendMessage", limited: true, done: done, parts: ps, do: func(ctx context.Context) error {
		_, err := s.api.SendMessage(ctx, p)
		return err
	}})
	return done
}

// enqueueEdit queues an editMessageText; a message that cannot be edited
// (deleted, too old) gets fallback as a new message instead, and one that
// already reads so (a second try) counts as done.
func (s *Sender) enqueueEdit(chatID int64, p *tgbot.EditMessageTextParams, fallback *tgbot.SendMessageParams, wait bool, ps *parts) chan error {
	var done chan error
	if wait {
		done = make(chan error, 1)
	}
	_ = s.enqueue(chatID, job{method: "editMessageText", limited: true, done: done, parts: ps, do: func(ctx context.Context) error {
		_, err := s.api.EditMessageText(ctx, p)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, tgbot.ErrorBadRequest) && strings.Contains(err.Error(), "message is not modified"):
			return nil
		case errors.Is(err, tgbot.ErrorBadRequest):
			s.log.Info("telegram: message not editable, sent anew", slog.Int64("chat_id", chatID), slog.Int("message_id", p.MessageID), slog.Any("err", redact(err, s.secret)))
			_, err = s.api.SendMessage(ctx, fallback)
		}
		return err
	}})
	return done
}

func quote(messageID int) *models.ReplyParameters {
	if messageID == 0 {
		return nil
	}
	// The message may be deleted meanwhile: send anyway, unquoted.
	return &models.ReplyParameters{MessageID: messageID, AllowSendingWithoutReply: true}
}

// enqueue adds j to its chat's queue, starting the chat's goroutine if idle.
func (s *Sender) enqueue(chatID int64, j job) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		s.log.Warn("telegram: send after shutdown dropped", slog.Int64("chat_id", chatID), slog.String("method", j.method))
		if j.done != nil {
			j.done <- ErrSenderClosed
		}
		return ErrSenderClosed
	}
	q := s.chats[chatID]
	if q == nil {
		gap := s.limits.Private
		if chatID < 0 { // group and channel ids are negative
			gap = s.limits.Group
		}
		q = &chatQueue{rate: newLimiter(gap, s.limits.ChatBurst)}
		s.chats[chatID] = q
	}
	q.jobs = append(q.jobs, j)
	if !q.running {
		q.running = true
		s.wg.Add(1)
		go s.drain(chatID, q)
	}
	return nil
}

// drain runs a chat's jobs in order until its queue is empty.
func (s *Sender) drain(chatID int64, q *chatQueue) {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		if len(q.jobs) == 0 {
			q.running = false
			s.mu.Unlock()
			return
		}
		j := q.jobs[0]
		q.jobs[0] = job{}
		q.jobs = q.jobs[1:]
		s.mu.Unlock()

		var err error
		if j.parts != nil && j.parts.failed.Load() {
			err = errEarlierPart
		} else if err = s.run(chatID, q, j); err != nil && j.parts != nil && !permanentSend(err) {
			// A refusal gives the message up: the rest, sent, is no
			// second copy of anything, and says what it can.
			j.parts.failed.Store(true)
		}
		if j.done != nil {
			j.done <- err
		}
	}
}

// run performs one job with the retry policy: 429 waits retry_after and
// tries again; network errors, timeouts and 5xx back off and try again a
// bounded number of times; 403 (blocked, kicked) and other 4xx are final.
func (s *Sender) run(chatID int64, q *chatQueue, j job) error {
	ctx := s.ctx
	backoff := s.limits.Backoff
	var tries, floods int
	for {
		if j.limited {
			if err := q.rate.wait(ctx); err != nil {
				return fmt.Errorf("telegram: %s: %w", j.method, err)
			}
			if err := s.global.wait(ctx); err != nil {
				return fmt.Errorf("telegram: %s: %w", j.method, err)
			}
		}
		err := redact(j.do(ctx), s.secret)
		if err == nil {
			return nil
		}
		attrs := []any{slog.Int64("chat_id", chatID), slog.String("method", j.method), slog.Any("err", err)}
		var flood *tgbot.TooManyRequestsError
		var wait time.Duration
		switch {
		case ctx.Err() != nil:
			s.log.Error("telegram: send abandoned at shutdown", attrs...)
			return fmt.Errorf("telegram: %s: %w", j.method, err)
		case errors.As(err, &flood):
			floods++
			if floods >= s.limits.FloodAttempts {
				s.log.Error("telegram: send given up after flood waits", attrs...)
				return fmt.Errorf("telegram: %s: %w", j.method, err)
			}
			wait = time.Duration(max(flood.RetryAfter, 1)) * time.Second
			s.log.Warn("telegram: flood control, waiting", append(attrs, slog.Duration("retry_after", wait))...)
		case errors.Is(err, tgbot.ErrorForbidden):
			s.log.Warn("telegram: chat refuses the bot, message skipped", attrs...)
			return fmt.Errorf("telegram: %s: %w", j.method, err)
		case permanent(err):
			s.log.Warn("telegram: request refused, message skipped", attrs...)
			return fmt.Errorf("telegram: %s: %w", j.method, err)
		default:
			tries++
			if tries >= s.limits.Attempts {
				s.log.Error("telegram: send failed, giving up", append(attrs, slog.Int("attempts", tries))...)
				return fmt.Errorf("telegram: %s: %w", j.method, err)
			}
			wait = backoff
			backoff *= 2
			s.log.Warn("telegram: send failed, retrying", append(attrs, slog.Duration("backoff", wait))...)
		}
		if err := sleep(ctx, wait); err != nil {
			return fmt.Errorf("telegram: %s: %w", j.method, err)
		}
	}
}

// permanent is a refusal that the same request will always get.
func permanent(err error) bool {
	var migrate *tgbot.MigrateError
	return errors.Is(err, tgbot.ErrorBadRequest) || errors.Is(err, tgbot.ErrorUnauthorized) ||
		errors.Is(err, tgbot.ErrorNotFound) || errors.Is(err, tgbot.ErrorConflict) || errors.As(err, &migrate)
}

// Close stops taking new sends and waits, at most until ctx ends, for the
// queued ones; whatever is left then is abandoned.
func (s *Sender) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	defer s.cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.cancel()
		<-done
		return fmt.Errorf("telegram: sender: queued messages abandoned: %w", ctx.Err())
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// limiter allows one event per gap on average, up to burst at once; a gap
// of 0 does not limit (a nil limiter).
type limiter struct{ l *rate.Limiter }

func newLimiter(gap time.Duration, burst int) *limiter {
	if gap <= 0 {
		return nil
	}
	return &limiter{rate.NewLimiter(rate.Every(gap), max(burst, 1))}
}

func (l *limiter) wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	return l.l.Wait(ctx)
}
