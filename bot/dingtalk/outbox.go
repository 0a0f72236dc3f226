package dingtalk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"tsbot/bot"
	"tsbot/data"
)

// The outbox, DingTalk's side (as bot/telegram/outbox.go): the handler
// stores each reply with the receipt of the message it answers, leased to
// this process, and hands it to this loop in memory (fresh), which sends it
// with no claim transaction. The loop also sends what else is pending
// (reminders, retries, what another process left), oldest first, through
// the conversation's session webhook while it is valid, else through the
// robot OpenAPI, and marks it sent. What a crash left unsent goes out at the
// next start, once its lease ran out, marked 补发.

const (
	outboxBatch    = 50
	outboxAttempts = 8
)

func (a *Adapter) poke() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

func (a *Adapter) runOutbox(ctx context.Context) {
	if err := a.store.OutboxWake(ctx, Name); err != nil {
		a.log.Warn("dingtalk: outbox wake failed", slog.Any("err", err))
	}
	stopRenew := a.renewHeld(ctx)
	defer stopRenew()
	tick := time.NewTicker(a.opts.OutboxEvery)
	defer tick.Stop()
	look := true // a fresh reply needs no look at the table
	for {
		if look {
			for a.claim(ctx) == outboxBatch {
			}
		}
		look = true
		select {
		case m := <-a.fresh:
			a.sendAll(ctx, a.moreFresh([]data.OutboxMessage{m}))
			look = false
		case <-a.kick:
		case <-tick.C:
		case <-ctx.Done():
			a.releaseFresh()
			return
		}
	}
}

// sendStored hands a reply the handler stored to the loop: in memory when
// it came back leased to this process, else by a kick to claim it.
func (a *Adapter) sendStored(r bot.Reply) {
	if r.Outbox == nil {
		a.poke()
		return
	}
	a.held.add(r.Outbox.ID)
	select {
	case a.fresh <- *r.Outbox:
	case <-a.stopped:
		// Left leased: the next start sends it once the lease is out.
		a.held.drop(r.Outbox.ID)
	}
}

// moreFresh adds the fresh replies waiting already, up to a batch.
func (a *Adapter) moreFresh(ms []data.OutboxMessage) []data.OutboxMessage {
	for len(ms) < outboxBatch {
		select {
		case m := <-a.fresh:
			ms = append(ms, m)
		default:
			return ms
		}
	}
	return ms
}

// releaseFresh hands the fresh replies not sent at shutdown back, to be
// sent at once by whichever process runs next.
func (a *Adapter) releaseFresh() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, m := range a.moreFresh(nil) {
		a.held.drop(m.ID)
		if err := a.store.OutboxRelease(ctx, m.ID, 0); err != nil {
			a.log.Warn("dingtalk: reply not released; it goes out once its lease is out", slog.Int64("outbox_id", m.ID), slog.Any("err", err))
		}
	}
}

// claim sends the due messages; it returns how many it took.
func (a *Adapter) claim(ctx context.Context) int {
	ms, err := a.store.ClaimOutbox(ctx, Name, outboxBatch, a.opts.OutboxLease)
	if err != nil {
		if ctx.Err() == nil {
			a.log.Warn("dingtalk: outbox claim failed", slog.Any("err", err))
		}
		return 0
	}
	// One whose lease ran out while it waited here in memory, or on a
	// slow send, is this process's still: not sent twice.
	mine := ms[:0:0]
	for _, m := range ms {
		if a.held.add(m.ID) {
			mine = append(mine, m)
		}
	}
	a.sendAll(ctx, mine)
	return len(ms)
}

// sendAll sends leased messages one after the other (a chat's replies stay
// in order), records each failure, and marks those sent in one transaction.
func (a *Adapter) sendAll(ctx context.Context, ms []data.OutboxMessage) {
	// The results are recorded also when shutdown began meanwhile: a
	// message left leased would wait for its lease at the next start.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var sent []int64
	for _, m := range ms {
		err := a.deliver(ctx, m)
		if err != nil {
			a.held.drop(m.ID) // its result below gives the lease up
		}
		attrs := []any{slog.Int64("outbox_id", m.ID), slog.Int64("chat_id", m.ChatID), slog.Int("attempt", m.Attempts+1)}
		switch {
		case err == nil:
			sent = append(sent, m.ID)
			continue
		case ctx.Err() != nil:
			// Cut short by shutdown: handed back, to be sent at once by
			// whichever process runs next (补发: it may have gone out).
			a.log.Warn("dingtalk: not sent before shutdown, left for the next start", append(attrs, slog.Any("err", err))...)
			err = a.store.OutboxRelease(rctx, m.ID, 0)
		case errors.Is(err, ErrQuota):
			a.log.Error("dingtalk: organisation API quota used up (90020): message given up, not retried", append(attrs, slog.Int64("api_calls", a.api.calls.Load()))...)
			err = a.store.OutboxFailed(rctx, m.ID, err.Error(), data.ReminderFailed)
		case errors.Is(err, ErrRefused) || m.Attempts+1 >= outboxAttempts || (m.Expires != nil && time.Now().After(*m.Expires)):
			a.log.Error("dingtalk: message given up", append(attrs, slog.Any("err", err))...)
			err = a.store.OutboxFailed(rctx, m.ID, err.Error(), data.ReminderFailed)
		default:
			wait := min(time.Duration(1<<min(m.Attempts, 10))*a.opts.OutboxBackoff, time.Hour)
			a.log.Warn("dingtalk: send failed, will try again", append(attrs, slog.Duration("backoff", wait), slog.Any("err", err))...)
			err = a.store.OutboxRetry(rctx, m.ID, time.Now().Add(wait), err.Error(), 0)
		}
		if err != nil {
			a.log.Error("dingtalk: outbox result not recorded", append(attrs, slog.Any("err", err))...)
		}
	}
	if err := a.store.OutboxSent(rctx, sent); err != nil {
		a.log.Error("dingtalk: sent messages not marked", slog.Int("count", len(sent)), slog.Any("err", err))
	}
	for _, id := range sent {
		a.held.drop(id)
	}
}

// leases are the messages whose leases a process keeps.
type leases struct {
	mu  sync.Mutex
	ids map[int64]bool
}

// add holds id; false if it was held already.
func (l *leases) add(id int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ids[id] {
		return false
	}
	l.ids[id] = true
	return true
}

func (l *leases) drop(id int64) {
	l.mu.Lock()
	delete(l.ids, id)
	l.mu.Unlock()
}

// renew renews the leases held; a drop waits for it, so that a lease
// given up is not taken again.
func (l *leases) renew(ctx context.Context, store *data.Store, lease time.Duration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.ids) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(l.ids))
	for id := range l.ids {
		ids = append(ids, id)
	}
	return store.OutboxRenew(ctx, ids, lease)
}

// renewHeld renews, every third of a lease until stop, the leases of the
// messages held: the loop sends one message after the other and marks a
// batch at its end, so behind a slow webhook the leases of those waiting
// in memory, of the later ones of a batch, and of those sent but not yet
// marked would run out, and another process send them again.
func (a *Adapter) renewHeld(ctx context.Context) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(max(a.opts.OutboxLease/3, time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				if err := a.held.renew(context.WithoutCancel(ctx), a.store, a.opts.OutboxLease); err != nil {
					a.log.Warn("dingtalk: outbox lease not renewed", slog.Any("err", err))
				}
			case <-done:
				return
			}
		}
	}()
	return func() { close(done); <-finished }
}

// deliver sends one outbox message.
func (a *Adapter) deliver(ctx context.Context, m data.OutboxMessage) error {
	out, err := bot.DecodeOutgoing(m.Body)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrRefused, err)
	}
	r := out.Reply
	// Files go after the text, as file messages: the /export spreadsheet,
	// the /chart picture (DingTalk's robot shows a PNG file as a picture
	// to open).
	var files []fileFailure
	if r.Document != nil {
		files = append(files, fileFailure{*r.Document, msgFileFailed})
	}
	if r.Photo != nil {
		files = append(files, fileFailure{*r.Photo, msgPhotoFailed})
	}
	r.Document, r.Photo = nil, nil
	if r.Text == "" && len(files) == 0 {
		return nil // only cleared buttons: nothing to show here
	}
	if m.Attempts > 0 || m.CreatedAt.Before(a.start) {
		r.Text = "（补发）" + r.Text
	}
	c, err := a.store.DingTalkChatByID(ctx, m.ChatID)
	if err != nil {
		return err
	}
	if err := a.send(ctx, c, r); err != nil {
		return err
	}
	// The text is out: a file that fails now is said, not retried with
	// the text again.
	for _, f := range files {
		if err := a.sendFile(ctx, c, f.doc); err != nil {
			a.log.Warn("dingtalk: file not sent", slog.Int64("chat_id", m.ChatID), slog.String("file", f.doc.Name), slog.Any("err", err))
			if err := a.send(ctx, c, bot.Reply{Text: f.say}); err != nil {
				a.log.Warn("dingtalk: file failure not said", slog.Int64("chat_id", m.ChatID), slog.Any("err", err))
			}
		}
	}
	return nil
}

// fileFailure is a file to send and what to say if it does not go out.
type fileFailure struct {
	doc bot.Document
	say string
}

// msgPhotoFailed says that the /chart picture did not go out.
const msgPhotoFailed = "⚠️ 进度图没能发出（钉钉上传失败）。请稍后再发一次 /chart，或用 /status 查看进度。"

// msgFileFailed says that a file (the /export spreadsheet) did not go out
// and what to do instead.
const msgFileFailed = "⚠️ 表格文件没能发出（钉钉上传失败）。请稍后再发一次 /export，或在 Telegram 里用 /export，或请市局联系人导出后转给您。"

// send shows a reply in a conversation: through its session webhook while
// it is valid, else through the robot OpenAPI (a custom robot for a
// county's robot chat).
func (a *Adapter) send(ctx context.Context, c data.DingTalkChat, r bot.Reply) error {
	group := c.Group
	switch {
	case strings.HasPrefix(c.ConversationID, robotPrefix):
		hook := a.robotFor(strings.TrimPrefix(c.ConversationID, robotPrefix))
		if hook.url == "" {
			return fmt.Errorf("%w: no robot_webhook for %s", ErrRefused, c.ConversationID)
		}
		title, text := markdown(r, true)
		return a.robot.Send(ctx, hook.url, hook.secret, title, text)
	case c.Webhook != "" && time.Now().Before(c.WebhookExpires.Add(-time.Minute)) && a.webhookAllowed(c.Webhook):
		return a.postWebhook(ctx, c.Webhook, webhookBody(r, group))
	case !group && c.StaffID != "":
		key, param := robotMessage(r, group)
		return a.api.SendToStaff(ctx, []string{c.StaffID}, key, param)
	case group:
		key, param := robotMessage(r, group)
		return a.api.SendToGroup(ctx, c.ConversationID, key, param)
	}
	return fmt.Errorf("%w: conversation %d has no way to reach it", ErrRefused, c.ChatID)
}

// sendFile uploads a file as media and sends it as a file message
// (sampleFile) through the robot OpenAPI: session webhooks carry no files.
func (a *Adapter) sendFile(ctx context.Context, c data.DingTalkChat, d bot.Document) error {
	if strings.HasPrefix(c.ConversationID, robotPrefix) {
		return fmt.Errorf("%w: a custom robot cannot send files", ErrRefused)
	}
	id, err := a.api.UploadFile(ctx, d.Name, d.Data)
	if err != nil {
		return err
	}
	ext := strings.TrimPrefix(path.Ext(d.Name), ".")
	param := map[string]any{"mediaId": id, "fileName": d.Name, "fileType": ext}
	switch {
	case !c.Group && c.StaffID != "":
		return a.api.SendToStaff(ctx, []string{c.StaffID}, "sampleFile", param)
	case c.Group:
		return a.api.SendToGroup(ctx, c.ConversationID, "sampleFile", param)
	}
	return fmt.Errorf("%w: conversation %d has no staff id to send a file to", ErrRefused, c.ChatID)
}

// sendDirect answers through the webhook without the outbox (the database
// failed).
func (a *Adapter) sendDirect(ctx context.Context, webhook string, r bot.Reply) error {
	if !a.webhookAllowed(webhook) {
		return fmt.Errorf("%w: no usable session webhook", ErrRefused)
	}
	return a.postWebhook(ctx, webhook, webhookBody(r, true))
}

func (a *Adapter) postWebhook(ctx context.Context, webhook string, body map[string]any) error {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, webhook, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("%w: session webhook: %w", ErrRefused, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		// The webhook's URL carries a session key: not quoted.
		return errors.New("dingtalk: session webhook: post failed")
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	var out struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	json.Unmarshal(raw, &out)
	switch {
	case resp.StatusCode == 429 || resp.StatusCode >= 500:
		return fmt.Errorf("dingtalk: session webhook: HTTP %d", resp.StatusCode)
	case resp.StatusCode != 200 || out.ErrCode != 0:
		return fmt.Errorf("dingtalk: session webhook: HTTP %d errcode %d %s: %w", resp.StatusCode, out.ErrCode, out.ErrMsg, ErrRefused)
	}
	return nil
}

// typedHint says what to type instead of the buttons: "回复 1 或 2",
// "写错了？回复：撤销", "回复：确认导入".
func typedHint(bs []bot.Button) string {
	var typed []string
	digits := true
	for _, b := range bs {
		if b.Typed == "" {
			continue
		}
		typed = append(typed, b.Typed)
		if b.Typed[0] < '0' || b.Typed[0] > '9' {
			digits = false
		}
	}
	switch {
	case len(typed) == 0:
		return ""
	case digits:
		return "回复 " + strings.Join(typed, " 或 ")
	case len(typed) == 1 && typed[0] == bot.TypedUndo:
		return "写错了？回复：" + typed[0]
	}
	return "回复：" + strings.Join(typed, " 或 ")
}

// markdown renders a reply for DingTalk's markdown: hard line breaks, the
// typed hint. Replies are laid out for a phone already (no fixed-width
// tables).
func markdown(r bot.Reply, hint bool) (title, text string) {
	body := r.Text
	// A hint the text already gives (the import preview's) is not repeated.
	if h := typedHint(r.Buttons); hint && h != "" && !strings.Contains(body, h) {
		body += "\n\n" + h
	}
	title, _, _ = strings.Cut(body, "\n")
	if utf8.RuneCountInString(title) > 20 {
		title = string([]rune(title)[:20])
	}
	lines := strings.Split(body, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "#") || strings.HasPrefix(l, ">") || strings.HasPrefix(l, "-") || strings.HasPrefix(l, "*") {
			lines[i] = `\` + l
		}
	}
	return title, strings.Join(lines, "  \n")
}

// webhookBody is a session webhook message: an ActionCard with link
// buttons in a private chat (a dtmd link makes the user send the typed
// form), markdown otherwise; the words to type are always shown.
func webhookBody(r bot.Reply, group bool) map[string]any {
	title, text := markdown(r, true)
	if btns := linkButtons(r.Buttons); !group && len(btns) > 0 {
		return map[string]any{"msgtype": "actionCard", "actionCard": map[string]any{
			"title": title, "text": text, "btnOrientation": "0", "btns": btns}}
	}
	return map[string]any{"msgtype": "markdown", "markdown": map[string]string{"title": title, "text": text}}
}

func linkButtons(bs []bot.Button) []map[string]string {
	var out []map[string]string
	for _, b := range bs {
		if b.Typed != "" {
			out = append(out, map[string]string{"title": b.Label, "actionURL": "dtmd://dingtalkclient/sendMessage?content=" + url.QueryEscape(b.Typed)})
		}
	}
	return out
}

// robotMessage is the same reply as an OpenAPI robot message.
func robotMessage(r bot.Reply, group bool) (string, map[string]any) {
	title, text := markdown(r, true)
	return "sampleMarkdown", map[string]any{"title": title, "text": text}
}

// robotPrefix names the pseudo-conversation of a county's custom robot.
const robotPrefix = "robot:"

type robotHook struct{ url, secret string }

// robotFor is the custom robot of a county, from the campaign config.
func (a *Adapter) robotFor(county string) robotHook {
	if h, ok := a.robots[county]; ok {
		return h
	}
	return robotHook{}
}

// QueueReminder claims reminder key for a DingTalk chat and queues its text
// in the outbox.
func (a *Adapter) QueueReminder(ctx context.Context, key string, chatID int64, text string, expires time.Time) (bool, error) {
	return a.QueueReply(ctx, key, chatID, bot.Reply{Text: text}, expires)
}

// QueueReply claims reminder key for a DingTalk chat and queues r in the
// outbox (a reminder with a picture).
func (a *Adapter) QueueReply(ctx context.Context, key string, chatID int64, r bot.Reply, expires time.Time) (bool, error) {
	ok, err := a.store.QueueReminder(ctx, key, chatID, Name, bot.EncodeOutgoing(bot.Outgoing{Reply: r}), expires)
	if ok {
		a.poke()
	}
	return ok, err
}

// Send delivers a reminder text to a DingTalk chat at once, without the
// outbox (tsbot remind, which records each send itself).
func (a *Adapter) Send(ctx context.Context, chatID int64, text string) error {
	return a.deliver(ctx, data.OutboxMessage{ChatID: chatID, CreatedAt: time.Now(),
		Body: bot.EncodeOutgoing(bot.Outgoing{Reply: bot.Reply{Text: text}})})
}

// PersonChat is the chat id of a person's private messages (reminders go
// there through the robot OpenAPI).
func (a *Adapter) PersonChat(ctx context.Context, staffID string) (int64, error) {
	return PersonChat(ctx, a.store, staffID)
}

// GroupChat is the chat id of a county group by its openConversationId.
func (a *Adapter) GroupChat(ctx context.Context, openConversationID string) (int64, error) {
	return GroupChat(ctx, a.store, openConversationID)
}

// RobotChat is the chat id of a county's custom robot.
func (a *Adapter) RobotChat(ctx context.Context, county string) (int64, error) {
	return RobotChat(ctx, a.store, county)
}

// PersonChat is the chat id of a staff member's private messages with the
// robot, allocated the first time (the reminder runner asks before the
// adapter runs).
func PersonChat(ctx context.Context, s *data.Store, staffID string) (int64, error) {
	return s.DingTalkChatFor(ctx, "staff:"+staffID, false, staffID)
}

// GroupChat is the chat id of a group by its openConversationId.
func GroupChat(ctx context.Context, s *data.Store, openConversationID string) (int64, error) {
	return s.DingTalkChatFor(ctx, openConversationID, true, "")
}

// RobotChat is the chat id of a county's custom robot (its webhook and
// secret stay in the config, read by the adapter when it sends).
func RobotChat(ctx context.Context, s *data.Store, county string) (int64, error) {
	return s.DingTalkChatFor(ctx, robotPrefix+county, true, "")
}
