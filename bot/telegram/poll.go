package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
)

// Exactly once, in polling mode.
//
// Telegram keeps an update until a getUpdates call names a higher offset;
// go-telegram/bot's own loop names it as soon as the update is read, before
// any handler ran, so a crash mid-handler loses the update. This loop
// instead handles a whole batch (every chat in parallel, each chat's updates
// in order), and only the next getUpdates, made after every update of the
// batch has been handled and its ledger write committed, carries the offset
// past them. A crash before that call gets the batch delivered again; the
// ledger is idempotent by update id, so a redelivered update records nothing
// twice and is answered "这条已记录过，未重复计数".
//
// Replies are queued to the Sender and are not part of the acknowledgement:
// a reply that cannot be sent never holds up, or undoes, the ledger.
//
// An update whose write failed because the database is down is not
// acknowledged: the offset stops at it, so every getUpdates brings it back,
// and it is tried again every RetryEvery. The other chats are served
// meanwhile: the later updates that were handled are remembered and skipped
// when they come back; those of the held update's own chat wait behind it,
// to keep the chat's order. When a whole batch brings nothing new, the loop
// pauses briefly (idlePause) instead of asking again at once.

// maxParallelChats bounds how many chats of one batch are handled at once.
// A handler spends most of its time waiting for the ledger's writer, which
// commits whatever writes are waiting in one transaction: the more chats at
// once, the fewer commits per update (20 staff in 20 chats: 0.23 commits
// per update at 32, 0.33 at 8) and the less CPU each update costs.
const maxParallelChats = 32

// idlePause is the longest wait before asking again for updates while one
// is held back and nothing else is new: how late another chat's update may
// be answered during a database outage.
const idlePause = time.Second

// pollState is what the polling loop remembers between batches about the
// updates it has not yet acknowledged.
type pollState struct {
	handled map[int64]bool      // handled, waiting for the offset to pass them
	due     map[int64]time.Time // held back: when to try again
}

func (t *Adapter) poll(ctx context.Context) error {
	var offset int64
	backoff := time.Duration(0)
	st := pollState{handled: map[int64]bool{}, due: map[int64]time.Time{}}
	for {
		if ctx.Err() != nil {
			break
		}
		ups, err := t.getUpdates(ctx, offset, t.opts.PollTimeout)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if errors.Is(err, errTokenRejected) {
				return err
			}
			backoff = min(max(backoff*2, 200*time.Millisecond), 10*time.Second)
			t.log.Warn("telegram: getUpdates failed", slog.Any("err", err), slog.Duration("backoff", backoff))
			if sleep(ctx, backoff) != nil {
				break
			}
			continue
		}
		backoff = 0
		if len(ups) == 0 {
			continue
		}
		// Handling does not stop at the signal: a started batch is finished
		// (within ShutdownWait), then acknowledged.
		done := make(chan struct{})
		var res batchResult
		go func() {
			defer close(done)
			res = t.handleBatch(context.WithoutCancel(ctx), ups, &st)
		}()
		select {
		case <-done:
		case <-ctx.Done():
			select {
			case <-done:
			case <-time.After(t.opts.ShutdownWait):
				t.log.Error("telegram: shutdown with updates still in progress; they will be delivered again",
					slog.Int64("update_id", ups[0].ID), slog.Int("count", len(ups)))
				return nil
			}
		}
		// Telegram serves updates in ascending order; the highest is taken
		// all the same, so that an update out of order cannot pull the
		// offset back below ones already handled (and have them served,
		// and handled, again and again).
		for _, in := range ups {
			offset = max(offset, in.ID+1)
		}
		if res.held != 0 {
			offset = res.held
		}
		for id := range st.handled {
			if id < offset {
				delete(st.handled, id)
			}
		}
		for id := range st.due {
			if id < offset {
				delete(st.due, id)
			}
		}
		if res.held != 0 && !res.handled {
			// Telegram would answer at once with the same batch.
			pause := idlePause
			if !res.nextDue.IsZero() {
				pause = min(pause, max(time.Until(res.nextDue), 10*time.Millisecond))
			}
			if sleep(ctx, pause) != nil {
				break
			}
		}
	}
	// Acknowledge what was handled, so a restart does not answer it again.
	if offset != 0 {
		ackCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if _, err := t.getUpdates(ackCtx, offset, 0); err != nil {
			t.log.Warn("telegram: final acknowledgement failed; the last updates will be delivered again", slog.Any("err", err))
		}
	}
	return nil
}

// batchResult is what handling one batch came to.
type batchResult struct {
	held    int64     // the lowest update id held back, or 0
	nextDue time.Time // when the first held-back update is due again
	handled bool      // whether any update was handled this time
}

// handleBatch handles every update of one getUpdates answer and returns when
// all are done. Updates of one chat run in order; chats run side by side.
// Updates already handled are skipped; one held back is tried again only
// when due, and the later updates of its chat wait behind it.
func (t *Adapter) handleBatch(ctx context.Context, ups []inbound, st *pollState) (res batchResult) {
	var mu sync.Mutex
	hold := func(id int64, due time.Time) {
		if res.held == 0 || id < res.held {
			res.held = id
		}
		if res.nextDue.IsZero() || due.Before(res.nextDue) {
			res.nextDue = due
		}
	}
	// run handles one chat's updates in order, stopping at one held back.
	run := func(list []inbound) {
		for _, in := range list {
			mu.Lock()
			skip := st.handled[in.ID]
			due, waiting := st.due[in.ID]
			if waiting && time.Now().Before(due) {
				hold(in.ID, due)
				mu.Unlock()
				return
			}
			mu.Unlock()
			if skip {
				continue
			}
			ok := t.handleUpdate(ctx, in)
			mu.Lock()
			if ok {
				st.handled[in.ID] = true
				delete(st.due, in.ID)
				res.handled = true
			} else {
				due := time.Now().Add(t.opts.RetryEvery)
				st.due[in.ID] = due
				hold(in.ID, due)
			}
			mu.Unlock()
			if !ok {
				return
			}
			t.stored(in.ID)
		}
	}
	var order []int64
	byChat := map[int64][]inbound{}
	for _, in := range ups {
		id := in.chat()
		if _, ok := byChat[id]; !ok {
			order = append(order, id)
		}
		byChat[id] = append(byChat[id], in)
	}
	if len(order) == 1 {
		run(ups)
		return res
	}
	sem := make(chan struct{}, maxParallelChats)
	var wg sync.WaitGroup
	for _, id := range order {
		wg.Add(1)
		sem <- struct{}{}
		go func(list []inbound) {
			defer func() { <-sem; wg.Done() }()
			run(list)
		}(byChat[id])
	}
	wg.Wait()
	return res
}

// updateChat is the chat an update belongs to, for ordering.
func updateChat(u *models.Update) int64 {
	switch {
	case u.Message != nil:
		return u.Message.Chat.ID
	case u.EditedMessage != nil:
		return u.EditedMessage.Chat.ID
	case u.CallbackQuery != nil:
		if m := u.CallbackQuery.Message.Message; m != nil {
			return m.Chat.ID
		}
		if m := u.CallbackQuery.Message.InaccessibleMessage; m != nil {
			return m.Chat.ID
		}
		return u.CallbackQuery.From.ID
	case u.MyChatMember != nil:
		return u.MyChatMember.Chat.ID
	}
	return 0
}

type getUpdatesRequest struct {
	Offset         int64    `json:"offset,omitempty"`
	Limit          int      `json:"limit"`
	Timeout        int      `json:"timeout"`
	AllowedUpdates []string `json:"allowed_updates"`
}

type apiAnswer struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// getUpdates is the one call made outside go-telegram/bot, which would
// acknowledge updates on its own. The offset confirms every update below it.
func (t *Adapter) getUpdates(ctx context.Context, offset int64, timeout time.Duration) ([]inbound, error) {
	body, err := json.Marshal(getUpdatesRequest{Offset: offset, Limit: 100, Timeout: int(timeout / time.Second), AllowedUpdates: allowedUpdates})
	if err != nil {
		return nil, fmt.Errorf("telegram: getUpdates: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.base+"/bot"+t.cfg.Token+"/getUpdates", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("telegram: getUpdates: %w", redact(err, t.cfg.Token))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("telegram: getUpdates: %w", redact(err, t.cfg.Token))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("telegram: getUpdates: read: %w", redact(err, t.cfg.Token))
	}
	var a apiAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		// The start of the page says who answered (a proxy, Telegram's
		// front end); it may quote the request URL, so it is redacted.
		return nil, redact(fmt.Errorf("telegram: getUpdates: HTTP %d, not JSON (%q): %w", resp.StatusCode, head(raw, 300), err), t.cfg.Token)
	}
	if !a.OK {
		err := fmt.Errorf("telegram: getUpdates: %d %s", a.ErrorCode, a.Description)
		if a.ErrorCode == http.StatusUnauthorized || a.ErrorCode == http.StatusNotFound {
			return nil, errors.Join(err, errTokenRejected)
		}
		if a.Parameters.RetryAfter > 0 {
			_ = sleep(ctx, time.Duration(a.Parameters.RetryAfter)*time.Second)
		}
		return nil, err
	}
	// Each update alone: one the models cannot decode must not hold up
	// the others (see telegram_decode.go).
	var raws []json.RawMessage
	if err := json.Unmarshal(a.Result, &raws); err != nil {
		return nil, fmt.Errorf("telegram: getUpdates: decode: %w", err)
	}
	ups := make([]inbound, 0, len(raws))
	for _, raw := range raws {
		in, err := decodeUpdate(raw)
		if err != nil {
			// Without an id it cannot be acknowledged by itself; the
			// offset passes it with the next update that has one.
			t.log.Error("telegram: update without a readable update_id, skipped", slog.Any("err", err))
			continue
		}
		ups = append(ups, in)
	}
	if len(ups) == 0 && len(raws) > 0 {
		// Asking again at once would bring the same: back off instead.
		return nil, fmt.Errorf("telegram: getUpdates: none of %d updates has a readable update_id", len(raws))
	}
	return ups, nil
}

// head is the start of b, at most n bytes, cut at a character boundary.
func head(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return string(b[:n]) + "…"
}

var errTokenRejected = errors.New("telegram: token rejected")
