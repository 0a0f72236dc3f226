package bot

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
// acknowledged: the offset stops at it, and it comes back with the next
// getUpdates after a pause. The later updates of that batch that were
// handled are remembered and skipped when they come back with it; those of
// the same chat wait behind it, to keep the chat's order.

// maxParallelChats bounds how many chats of one batch are handled at once.
const maxParallelChats = 8

func (t *Telegram) poll(ctx context.Context) error {
	var offset int64
	backoff := time.Duration(0)
	retry := time.Duration(0)
	handled := map[int64]bool{} // handled, but not yet acknowledged
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
		var held int64
		go func() {
			defer close(done)
			held = t.handleBatch(context.WithoutCancel(ctx), ups, handled)
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
		offset = ups[len(ups)-1].ID + 1
		if held != 0 {
			offset = held
			retry = min(max(retry*2, t.opts.RetryEvery), 2*t.opts.RetryEvery) // short: other chats wait too
			if sleep(ctx, retry) != nil {
				break
			}
		} else {
			retry = 0
		}
		for id := range handled {
			if id < offset {
				delete(handled, id)
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

// handleBatch handles every update of one getUpdates answer and returns when
// all are done. Updates of one chat run in order; chats run side by side.
// It returns the lowest update id held back for another try, or 0; the ids
// it handled go into handled, and those already there are skipped.
func (t *Telegram) handleBatch(ctx context.Context, ups []*models.Update, handled map[int64]bool) (held int64) {
	var mu sync.Mutex
	// run handles one chat's updates in order, stopping at one held back.
	run := func(list []*models.Update) {
		for _, u := range list {
			mu.Lock()
			skip := handled[u.ID]
			mu.Unlock()
			if skip {
				continue
			}
			ok := t.handleUpdate(ctx, u)
			mu.Lock()
			if ok {
				handled[u.ID] = true
			} else if held == 0 || u.ID < held {
				held = u.ID
			}
			mu.Unlock()
			if !ok {
				return
			}
			t.stored(u.ID)
		}
	}
	var order []int64
	byChat := map[int64][]*models.Update{}
	for _, u := range ups {
		id := updateChat(u)
		if _, ok := byChat[id]; !ok {
			order = append(order, id)
		}
		byChat[id] = append(byChat[id], u)
	}
	if len(order) == 1 {
		run(ups)
		return held
	}
	sem := make(chan struct{}, maxParallelChats)
	var wg sync.WaitGroup
	for _, id := range order {
		wg.Add(1)
		sem <- struct{}{}
		go func(list []*models.Update) {
			defer func() { <-sem; wg.Done() }()
			run(list)
		}(byChat[id])
	}
	wg.Wait()
	return held
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
func (t *Telegram) getUpdates(ctx context.Context, offset int64, timeout time.Duration) ([]*models.Update, error) {
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
	var ups []*models.Update
	if err := json.Unmarshal(a.Result, &ups); err != nil {
		return nil, fmt.Errorf("telegram: getUpdates: decode: %w", err)
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
