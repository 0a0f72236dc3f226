package telegramtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"tsbot/bot/telegramtest"
)

var (
	alice = models.User{ID: 1001, FirstName: "Alice", Username: "alice"}
	bob   = models.User{ID: 1002, FirstName: "Bob"}
)

// waitCtx bounds every wait so a broken fake fails the test instead of
// hanging it.
func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newClient is the real go-telegram/bot client pointed at srv.
func newClient(t *testing.T, srv *telegramtest.Server, opts ...bot.Option) *bot.Bot {
	t.Helper()
	opts = append([]bot.Option{
		bot.WithServerURL(srv.URL()),
		bot.WithErrorsHandler(func(error) {}),
		// Handlers run inside Start, so stopping the bot also stops them
		// before the test ends.
		bot.WithNotAsyncHandlers(),
	}, opts...)
	b, err := bot.New(telegramtest.Token, opts...)
	if err != nil {
		t.Fatalf("bot.New: %v", err)
	}
	return b
}

// startPolling runs b until the test ends.
func startPolling(t *testing.T, b *bot.Bot) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Start(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// receive takes the next update a handler forwarded.
func receive(t *testing.T, ctx context.Context, got <-chan *models.Update) *models.Update {
	t.Helper()
	select {
	case u := <-got:
		return u
	case <-ctx.Done():
		t.Fatal("no update reached the handler")
		return nil
	}
}

type apiAnswer struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
}

// post makes a raw Bot API request. It does not fail the test itself, so
// goroutines may use it.
func post(ctx context.Context, srv *telegramtest.Server, method, contentType string, body io.Reader) (int, apiAnswer, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL()+"/bot"+telegramtest.Token+"/"+method, body)
	if err != nil {
		return 0, apiAnswer{}, "", err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, apiAnswer{}, "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, apiAnswer{}, "", err
	}
	var a apiAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		return 0, apiAnswer{}, "", fmt.Errorf("%s: answer is not JSON: %s", method, raw)
	}
	return resp.StatusCode, a, string(raw), nil
}

// call is post for the test's own goroutine.
func call(t *testing.T, ctx context.Context, srv *telegramtest.Server, method, contentType string, body io.Reader) (int, apiAnswer, string) {
	t.Helper()
	status, a, raw, err := post(ctx, srv, method, contentType, body)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return status, a, raw
}

// pollIDs decodes a getUpdates answer into update ids.
func pollIDs(status int, a apiAnswer, raw string, err error) ([]int64, error) {
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("getUpdates: %d %s", status, raw)
	}
	var ups []models.Update
	if err := json.Unmarshal(a.Result, &ups); err != nil {
		return nil, err
	}
	ids := []int64{}
	for _, u := range ups {
		ids = append(ids, u.ID)
	}
	return ids, nil
}

// getUpdates polls with form parameters and returns the update ids.
func getUpdates(t *testing.T, ctx context.Context, srv *telegramtest.Server, form url.Values) []int64 {
	t.Helper()
	ids, err := pollIDs(post(ctx, srv, "getUpdates", "application/x-www-form-urlencoded", strings.NewReader(form.Encode())))
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTextReachesHandlerAndReplyIsRecorded(t *testing.T) {
	tests := []struct {
		name string
		chat models.Chat
	}{
		{name: "private", chat: telegramtest.PrivateChat(alice)},
		{name: "group", chat: telegramtest.GroupChat(-4001, "县站工作群")},
		{name: "supergroup", chat: telegramtest.SupergroupChat(-1001234567890, "省站")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := telegramtest.New(t)
			ctx := waitCtx(t)
			got := make(chan *models.Update, 10)
			b := newClient(t, srv, bot.WithDefaultHandler(func(ctx context.Context, b *bot.Bot, u *models.Update) {
				got <- u
				if u.Message == nil {
					return
				}
				_, _ = b.SendMessage(ctx, &bot.SendMessageParams{
					ChatID:          u.Message.Chat.ID,
					Text:            "收到：" + u.Message.Text,
					ReplyParameters: &models.ReplyParameters{MessageID: u.Message.ID},
					ReplyMarkup: &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{
						{{Text: "确认", CallbackData: "confirm"}},
					}},
				})
			}))
			startPolling(t, b)

			updateID, messageID := srv.SendText(alice, tt.chat, "/report 今天 3 户")

			u := receive(t, ctx, got)
			if u.ID != updateID || u.Message.ID != messageID || u.Message.Chat.ID != tt.chat.ID || u.Message.From.ID != alice.ID {
				t.Errorf("update = %+v, want update %d message %d in chat %d", u, updateID, messageID, tt.chat.ID)
			}
			if len(u.Message.Entities) != 1 || u.Message.Entities[0].Type != models.MessageEntityTypeBotCommand || u.Message.Entities[0].Length != len("/report") {
				t.Errorf("entities = %+v, want one bot_command for /report", u.Message.Entities)
			}

			calls, err := srv.WaitCalls(ctx, "sendMessage", 1)
			if err != nil {
				t.Fatal(err)
			}
			c := calls[0]
			if c.Params["chat_id"] != strconv.FormatInt(tt.chat.ID, 10) || c.Params["text"] != "收到：/report 今天 3 户" {
				t.Errorf("params = %v", c.Params)
			}
			m := c.Message
			if m == nil || m.ID != messageID+1 || m.From == nil || m.From.ID != telegramtest.BotID || m.Chat != tt.chat {
				t.Fatalf("message = %+v, want id %d from the bot in %+v", m, messageID+1, tt.chat)
			}
			if m.ReplyToMessage == nil || m.ReplyToMessage.ID != messageID || m.ReplyToMessage.Text != "/report 今天 3 户" {
				t.Errorf("reply_to_message = %+v, want message %d", m.ReplyToMessage, messageID)
			}
			if m.ReplyMarkup == nil || m.ReplyMarkup.InlineKeyboard[0][0].CallbackData != "confirm" {
				t.Errorf("reply_markup = %+v, want the confirm button", m.ReplyMarkup)
			}
			// The bot confirms the update with its next getUpdates offset.
			if err := srv.WaitPending(ctx, 0); err != nil {
				t.Fatalf("update never confirmed: %v", err)
			}
			if srv.Offset() != updateID+1 {
				t.Errorf("Offset() = %d, want %d", srv.Offset(), updateID+1)
			}
		})
	}
}

func TestButtonsAndEdits(t *testing.T) {
	srv := telegramtest.New(t)
	ctx := waitCtx(t)
	chat := telegramtest.PrivateChat(alice)
	got := make(chan *models.Update, 10)
	b := newClient(t, srv, bot.WithDefaultHandler(func(ctx context.Context, b *bot.Bot, u *models.Update) {
		got <- u
	}))
	b.RegisterHandler(bot.HandlerTypeCallbackQueryData, "confirm", bot.MatchTypeExact, func(ctx context.Context, b *bot.Bot, u *models.Update) {
		got <- u
		_, _ = b.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: u.CallbackQuery.ID, Text: "已确认"})
		msg := u.CallbackQuery.Message.Message
		_, _ = b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: msg.Chat.ID, MessageID: msg.ID, Text: "已确认 ✅"})
	})
	startPolling(t, b)

	_, asked := srv.SendText(alice, chat, "报数")
	receive(t, ctx, got)
	sent, err := b.SendMessage(ctx, &bot.SendMessageParams{
		ChatID: chat.ID, Text: "确认吗？",
		ReplyMarkup: &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "确认", CallbackData: "confirm"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}

	_, queryID := srv.PressButton(alice, chat, sent.ID, "confirm")
	u := receive(t, ctx, got)
	if u.CallbackQuery == nil || u.CallbackQuery.ID != queryID || u.CallbackQuery.Data != "confirm" || u.CallbackQuery.Message.Message.ID != sent.ID {
		t.Fatalf("callback update = %+v", u.CallbackQuery)
	}
	answers, err := srv.WaitCalls(ctx, "answerCallbackQuery", 1)
	if err != nil {
		t.Fatal(err)
	}
	if answers[0].Params["callback_query_id"] != queryID || answers[0].Status != http.StatusOK {
		t.Errorf("answerCallbackQuery = %+v", answers[0])
	}
	if _, err := srv.WaitCalls(ctx, "editMessageText", 1); err != nil {
		t.Fatal(err)
	}
	edited, _ := srv.Message(chat.ID, sent.ID)
	// Editing the text without reply_markup removes the keyboard, as in Telegram.
	if edited.Text != "已确认 ✅" || edited.ReplyMarkup != nil || edited.EditDate == 0 {
		t.Errorf("edited message = %+v", edited)
	}

	t.Run("a query is answered once", func(t *testing.T) {
		_, err := b.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: queryID})
		if !errors.Is(err, bot.ErrorBadRequest) {
			t.Errorf("err = %v, want bad request", err)
		}
	})
	t.Run("unchanged edit is refused", func(t *testing.T) {
		_, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: chat.ID, MessageID: sent.ID, Text: "已确认 ✅"})
		if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), "message is not modified") {
			t.Errorf("err = %v, want message is not modified", err)
		}
	})
	t.Run("user messages cannot be edited by the bot", func(t *testing.T) {
		_, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: chat.ID, MessageID: asked, Text: "x"})
		if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), "message can't be edited") {
			t.Errorf("err = %v, want message can't be edited", err)
		}
	})
	t.Run("reply markup edit", func(t *testing.T) {
		kb := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "撤销", CallbackData: "undo"}}}}
		m, err := b.EditMessageReplyMarkup(ctx, &bot.EditMessageReplyMarkupParams{ChatID: chat.ID, MessageID: sent.ID, ReplyMarkup: kb})
		if err != nil || m.ReplyMarkup == nil || m.ReplyMarkup.InlineKeyboard[0][0].CallbackData != "undo" {
			t.Errorf("editMessageReplyMarkup = %+v, %v", m, err)
		}
	})
	t.Run("user edits a message", func(t *testing.T) {
		updateID := srv.EditText(alice, chat, asked, "报数 5")
		u := receive(t, ctx, got)
		if u.ID != updateID || u.EditedMessage == nil || u.EditedMessage.ID != asked || u.EditedMessage.Text != "报数 5" || u.EditedMessage.EditDate == 0 {
			t.Errorf("edited update = %+v", u)
		}
	})
}

func TestOffsetSemantics(t *testing.T) {
	srv := telegramtest.New(t)
	ctx := waitCtx(t)
	chat := telegramtest.PrivateChat(bob)
	u1, _ := srv.SendText(bob, chat, "一")
	u2, _ := srv.SendText(bob, chat, "二")

	// Without confirmation the same updates come back.
	for range 2 {
		if ids := getUpdates(t, ctx, srv, url.Values{}); !equalIDs(ids, []int64{u1, u2}) {
			t.Fatalf("getUpdates = %v, want %v", ids, []int64{u1, u2})
		}
	}
	if srv.Pending() != 2 {
		t.Errorf("Pending() = %d, want 2", srv.Pending())
	}

	offset := url.Values{"offset": {strconv.FormatInt(u1+1, 10)}}
	if ids := getUpdates(t, ctx, srv, offset); !equalIDs(ids, []int64{u2}) {
		t.Fatalf("getUpdates offset=u1+1 = %v, want %v", ids, []int64{u2})
	}
	if srv.Pending() != 1 || srv.Offset() != u1+1 {
		t.Errorf("Pending() = %d, Offset() = %d, want 1, %d", srv.Pending(), srv.Offset(), u1+1)
	}
	if ids := getUpdates(t, ctx, srv, url.Values{"offset": {strconv.FormatInt(u2+1, 10)}}); len(ids) != 0 {
		t.Fatalf("getUpdates offset=u2+1 = %v, want none", ids)
	}
	// Confirmed updates are gone for good, even when asked for again.
	if ids := getUpdates(t, ctx, srv, url.Values{"offset": {strconv.FormatInt(u1, 10)}}); len(ids) != 0 {
		t.Fatalf("getUpdates offset=u1 after confirmation = %v, want none", ids)
	}

	u3, _ := srv.SendText(bob, chat, "三")
	u4, _ := srv.SendText(bob, chat, "四")
	u5, _ := srv.SendText(bob, chat, "五")
	if ids := getUpdates(t, ctx, srv, url.Values{"limit": {"2"}}); !equalIDs(ids, []int64{u3, u4}) {
		t.Errorf("getUpdates limit=2 = %v, want %v", ids, []int64{u3, u4})
	}
	// A negative offset keeps only the last -offset updates.
	if ids := getUpdates(t, ctx, srv, url.Values{"offset": {"-1"}}); !equalIDs(ids, []int64{u5}) {
		t.Errorf("getUpdates offset=-1 = %v, want %v", ids, []int64{u5})
	}
	if srv.Pending() != 1 {
		t.Errorf("Pending() = %d, want 1", srv.Pending())
	}
}

func TestLongPoll(t *testing.T) {
	t.Run("returns when an update arrives", func(t *testing.T) {
		srv := telegramtest.New(t)
		ctx := waitCtx(t)
		type poll struct {
			ids []int64
			err error
		}
		result := make(chan poll, 1)
		go func() {
			ids, err := pollIDs(post(ctx, srv, "getUpdates", "application/x-www-form-urlencoded", strings.NewReader("timeout=30")))
			result <- poll{ids, err}
		}()
		calls, err := srv.WaitCalls(ctx, "getUpdates", 1)
		if err != nil {
			t.Fatal(err)
		}
		// Nothing is queued and the timeout is far off, so the poll can
		// only be waiting.
		if calls[0].Status != 0 {
			t.Fatalf("poll answered %d before any update", calls[0].Status)
		}
		updateID, _ := srv.SendText(alice, telegramtest.PrivateChat(alice), "hi")
		select {
		case p := <-result:
			if p.err != nil || !equalIDs(p.ids, []int64{updateID}) {
				t.Errorf("poll = %v, %v; want %v", p.ids, p.err, []int64{updateID})
			}
		case <-ctx.Done():
			t.Fatal("long poll did not return after an update was injected")
		}
	})

	t.Run("returns empty after the timeout", func(t *testing.T) {
		srv := telegramtest.New(t)
		start := time.Now()
		if ids := getUpdates(t, waitCtx(t), srv, url.Values{"timeout": {"1"}}); len(ids) != 0 {
			t.Errorf("poll = %v, want none", ids)
		}
		if d := time.Since(start); d < time.Second {
			t.Errorf("poll returned after %v, want at least the 1s timeout", d)
		}
	})

	t.Run("ends when the client goes away", func(t *testing.T) {
		srv := telegramtest.New(t)
		ctx := waitCtx(t)
		pollCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			req, _ := http.NewRequestWithContext(pollCtx, http.MethodPost, srv.URL()+"/bot"+telegramtest.Token+"/getUpdates?timeout=30", nil)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
		if _, err := srv.WaitCalls(ctx, "getUpdates", 1); err != nil {
			t.Fatal(err)
		}
		cancel()
		<-done
		err := srv.Wait(ctx, func() bool { return srv.CallsTo("getUpdates")[0].Status != 0 })
		if err != nil {
			t.Fatal("the server kept polling for a client that left")
		}
	})

	t.Run("Close ends open polls", func(t *testing.T) {
		srv := telegramtest.NewServer()
		ctx := waitCtx(t)
		done := make(chan error, 1)
		go func() {
			_, err := pollIDs(post(ctx, srv, "getUpdates", "application/x-www-form-urlencoded", strings.NewReader("timeout=30")))
			done <- err
		}()
		if _, err := srv.WaitCalls(ctx, "getUpdates", 1); err != nil {
			t.Fatal(err)
		}
		srv.Close()
		srv.Close() // a second Close is harmless
		if err := <-done; err != nil {
			t.Errorf("poll open at Close: %v, want an empty answer", err)
		}
	})

	t.Run("a second poller terminates the first", func(t *testing.T) {
		srv := telegramtest.New(t)
		ctx := waitCtx(t)
		first := make(chan apiAnswer, 1)
		go func() {
			_, a, _, _ := post(ctx, srv, "getUpdates", "application/json", strings.NewReader(`{"timeout":30}`))
			first <- a
		}()
		if _, err := srv.WaitCalls(ctx, "getUpdates", 1); err != nil {
			t.Fatal(err)
		}
		getUpdates(t, ctx, srv, url.Values{})
		if a := <-first; a.ErrorCode != http.StatusConflict {
			t.Errorf("first poll = %+v, want 409 Conflict", a)
		}
	})
}

func TestFaultsReachTheClient(t *testing.T) {
	tests := []struct {
		name   string
		fault  telegramtest.Fault
		status int
		check  func(t *testing.T, err error)
	}{
		{
			name: "429", fault: telegramtest.TooManyRequests(7), status: 429,
			check: func(t *testing.T, err error) {
				var tooMany *bot.TooManyRequestsError
				if !errors.As(err, &tooMany) || tooMany.RetryAfter != 7 {
					t.Errorf("err = %v, want TooManyRequestsError with retry_after 7", err)
				}
			},
		},
		{
			name: "500", fault: telegramtest.InternalError(), status: 500,
			check: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "500 Internal Server Error") {
					t.Errorf("err = %v, want a 500 error", err)
				}
			},
		},
		{
			name: "502", fault: telegramtest.BadGateway(), status: 502,
			check: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "502 Bad Gateway") {
					t.Errorf("err = %v, want an undecodable 502 page", err)
				}
			},
		},
		{
			name: "403 blocked", fault: telegramtest.Blocked(), status: 403,
			check: func(t *testing.T, err error) {
				if !errors.Is(err, bot.ErrorForbidden) || !strings.Contains(err.Error(), "bot was blocked by the user") {
					t.Errorf("err = %v, want forbidden", err)
				}
			},
		},
		{
			name: "400", fault: telegramtest.BadRequest("chat not found"), status: 400,
			check: func(t *testing.T, err error) {
				if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), "Bad Request: chat not found") {
					t.Errorf("err = %v, want bad request", err)
				}
			},
		},
		{
			name: "dropped connection", fault: telegramtest.Dropped(), status: 0,
			check: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "error do request") {
					t.Errorf("err = %v, want a transport error", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := telegramtest.New(t)
			ctx := waitCtx(t)
			chat := telegramtest.PrivateChat(alice)
			srv.AddChat(chat)
			b := newClient(t, srv, bot.WithSkipGetMe())

			srv.FailNext("sendMessage", tt.fault)
			_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: chat.ID, Text: "周报"})
			tt.check(t, err)

			// The fault is used up and had no effect: the next message is
			// the chat's first.
			m, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: chat.ID, Text: "周报"})
			if err != nil || m.ID != 1 {
				t.Fatalf("after the fault: %+v, %v; want message 1", m, err)
			}
			calls := srv.CallsTo("sendMessage")
			if len(calls) != 2 || calls[0].Status != tt.status || calls[0].Message != nil || calls[1].Status != http.StatusOK {
				t.Errorf("calls = %+v", calls)
			}
		})
	}
}

func TestErrorBodiesAreTelegrams(t *testing.T) {
	srv := telegramtest.New(t)
	ctx := waitCtx(t)

	srv.FailNext("SENDMESSAGE", telegramtest.TooManyRequests(5))
	status, _, raw := call(t, ctx, srv, "sendMessage", "", nil)
	if want := `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 5","parameters":{"retry_after":5}}`; status != 429 || raw != want {
		t.Errorf("429 = %d %s, want %s", status, raw, want)
	}

	status, _, raw = call(t, ctx, srv, "noSuchMethod", "", nil)
	if want := `{"ok":false,"error_code":404,"description":"Not Found"}`; status != 404 || raw != want {
		t.Errorf("unknown method = %d %s, want %s", status, raw, want)
	}

	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL()+"/bot1:wrong/getMe", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `{"ok":false,"error_code":401,"description":"Unauthorized"}`; resp.StatusCode != 401 || string(body) != want {
		t.Errorf("wrong token = %d %s, want %s", resp.StatusCode, body, want)
	}

	t.Run("through the client", func(t *testing.T) {
		_, err := bot.New("1:wrong", bot.WithServerURL(srv.URL()))
		if !errors.Is(err, bot.ErrorUnauthorized) {
			t.Errorf("bot.New with a wrong token: %v, want unauthorized", err)
		}
		b := newClient(t, srv)
		if _, err := b.GetChat(ctx, &bot.GetChatParams{ChatID: 1}); !errors.Is(err, bot.ErrorNotFound) {
			t.Errorf("unimplemented method: %v, want not found", err)
		}
		if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: 999, Text: "x"}); !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), "chat not found") {
			t.Errorf("unknown chat: %v, want chat not found", err)
		}
		_, err = b.SetMyCommands(ctx, &bot.SetMyCommandsParams{Commands: []models.BotCommand{{Command: "Report", Description: "报数"}}})
		if !errors.Is(err, bot.ErrorBadRequest) {
			t.Errorf("upper-case command: %v, want bad request", err)
		}
		ok, err := b.SetMyCommands(ctx, &bot.SetMyCommandsParams{Commands: []models.BotCommand{{Command: "report", Description: "报数"}}})
		if !ok || err != nil {
			t.Errorf("setMyCommands = %v, %v", ok, err)
		}
		if _, err := b.SendChatAction(ctx, &bot.SendChatActionParams{ChatID: 999, Action: models.ChatActionTyping}); !errors.Is(err, bot.ErrorBadRequest) {
			t.Errorf("chat action in unknown chat: %v, want bad request", err)
		}
	})
}

func TestSendDocumentRecordsTheUpload(t *testing.T) {
	srv := telegramtest.New(t)
	ctx := waitCtx(t)
	chat := telegramtest.GroupChat(-4002, "市站")
	srv.AddChat(chat)
	b := newClient(t, srv, bot.WithSkipGetMe())
	data := []byte("PK\x03\x04 fake xlsx bytes \x00\xff")

	if ok, err := b.SendChatAction(ctx, &bot.SendChatActionParams{ChatID: chat.ID, Action: models.ChatActionUploadDocument}); !ok || err != nil {
		t.Fatalf("sendChatAction = %v, %v", ok, err)
	}
	m, err := b.SendDocument(ctx, &bot.SendDocumentParams{
		ChatID:   chat.ID,
		Document: &models.InputFileUpload{Filename: "周报.xlsx", Data: bytes.NewReader(data)},
		Caption:  "本周汇总",
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.Document == nil || m.Document.FileName != "周报.xlsx" || m.Document.FileSize != int64(len(data)) || m.Caption != "本周汇总" {
		t.Errorf("message = %+v, document = %+v", m, m.Document)
	}
	calls := srv.CallsTo("sendDocument")
	if len(calls) != 1 {
		t.Fatalf("%d sendDocument calls, want 1", len(calls))
	}
	f := calls[0].Files["document"]
	if f.Name != "周报.xlsx" || !bytes.Equal(f.Data, data) || calls[0].Params["caption"] != "本周汇总" {
		t.Errorf("recorded file %q %q, params %v", f.Name, f.Data, calls[0].Params)
	}
}

func TestBodyEncodings(t *testing.T) {
	markup := `{"inline_keyboard":[[{"text":"好","callback_data":"yes"}]]}`
	multipartBody := func() (string, io.Reader) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		_ = w.WriteField("chat_id", "1001")
		_ = w.WriteField("text", "你好")
		_ = w.WriteField("reply_markup", markup)
		_ = w.Close()
		return w.FormDataContentType(), &buf
	}
	tests := []struct {
		name string
		body func() (string, io.Reader)
	}{
		{name: "multipart", body: multipartBody},
		{name: "json", body: func() (string, io.Reader) {
			return "application/json", strings.NewReader(`{"chat_id":1001,"text":"你好","reply_markup":` + markup + `}`)
		}},
		{name: "urlencoded", body: func() (string, io.Reader) {
			form := url.Values{"chat_id": {"1001"}, "text": {"你好"}, "reply_markup": {markup}}
			return "application/x-www-form-urlencoded", strings.NewReader(form.Encode())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := telegramtest.New(t)
			srv.AddChat(telegramtest.PrivateChat(alice))
			contentType, body := tt.body()
			status, _, raw := call(t, waitCtx(t), srv, "sendMessage", contentType, body)
			if status != http.StatusOK {
				t.Fatalf("sendMessage = %d %s", status, raw)
			}
			c := srv.CallsTo("sendMessage")[0]
			if c.Params["chat_id"] != "1001" || c.Params["text"] != "你好" {
				t.Errorf("params = %v", c.Params)
			}
			var kb models.InlineKeyboardMarkup
			if err := json.Unmarshal([]byte(c.Params["reply_markup"]), &kb); err != nil || kb.InlineKeyboard[0][0].CallbackData != "yes" {
				t.Errorf("reply_markup param %q: %v", c.Params["reply_markup"], err)
			}
			if c.Message == nil || c.Message.ReplyMarkup == nil || c.Message.ReplyMarkup.InlineKeyboard[0][0].Text != "好" {
				t.Errorf("message = %+v", c.Message)
			}
		})
	}
}

func TestWebhookMode(t *testing.T) {
	srv := telegramtest.New(t)
	ctx := waitCtx(t)
	got := make(chan *models.Update, 10)
	b := newClient(t, srv, bot.WithWebhookSecretToken("s3cret"), bot.WithDefaultHandler(func(ctx context.Context, b *bot.Bot, u *models.Update) {
		got <- u
		_, _ = b.SendMessage(ctx, &bot.SendMessageParams{ChatID: u.Message.Chat.ID, Text: "ok"})
	}))

	var failing atomic.Bool
	secrets := make(chan string, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		secrets <- r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
		b.WebhookHandler()(w, r)
	}))
	t.Cleanup(hook.Close)
	botCtx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		b.StartWebhook(botCtx)
	}()
	t.Cleanup(func() {
		cancel()
		<-stopped
	})

	if _, err := b.SetWebhook(ctx, &bot.SetWebhookParams{URL: "https://example.com/hook"}); !errors.Is(err, bot.ErrorBadRequest) {
		t.Errorf("non-loopback webhook: %v, want bad request", err)
	}
	if ok, err := b.SetWebhook(ctx, &bot.SetWebhookParams{URL: hook.URL, SecretToken: "s3cret"}); !ok || err != nil {
		t.Fatalf("setWebhook = %v, %v", ok, err)
	}
	if status, a, _ := call(t, ctx, srv, "getUpdates", "", nil); status != http.StatusConflict {
		t.Errorf("getUpdates with a webhook = %d %+v, want 409", status, a)
	}

	chat := telegramtest.PrivateChat(alice)
	updateID, _ := srv.SendText(alice, chat, "你好")
	// Delivery is synchronous: the webhook has accepted the update.
	if srv.Pending() != 0 {
		t.Fatalf("Pending() = %d after delivery, want 0", srv.Pending())
	}
	if secret := <-secrets; secret != "s3cret" {
		t.Errorf("X-Telegram-Bot-Api-Secret-Token = %q, want s3cret", secret)
	}
	if u := receive(t, ctx, got); u.ID != updateID {
		t.Errorf("update %d, want %d", u.ID, updateID)
	}
	if _, err := srv.WaitCalls(ctx, "sendMessage", 1); err != nil {
		t.Fatal(err)
	}

	t.Run("failed deliveries are kept and retried", func(t *testing.T) {
		failing.Store(true)
		updateID, _ := srv.SendText(alice, chat, "再来")
		if srv.Pending() != 1 {
			t.Fatalf("Pending() = %d, want 1 after a failed delivery", srv.Pending())
		}
		info, err := b.GetWebhookInfo(ctx)
		if err != nil || info.PendingUpdateCount != 1 || info.LastErrorMessage == "" {
			t.Errorf("getWebhookInfo = %+v, %v", info, err)
		}
		failing.Store(false)
		if err := srv.FlushWebhook(); err != nil {
			t.Fatal(err)
		}
		if u := receive(t, ctx, got); u.ID != updateID {
			t.Errorf("update %d, want %d", u.ID, updateID)
		}
	})
}

// Raw injections reach getUpdates as given, with update ids in sequence;
// a forward carries its origin; the message of SendTextWith is stored, so
// the bot may reply to it.
func TestRawInjections(t *testing.T) {
	srv := telegramtest.New(t)
	ctx := waitCtx(t)
	chat := telegramtest.PrivateChat(alice)
	u1 := srv.SendRawUpdate(`{"future_kind":{"n":12345678901234567}}`)
	u2, m2 := srv.SendTextWith(alice, chat, "柯桥 辅导企业 +3", map[string]any{"date": "yesterday", "forward_from": bob})
	origin := models.MessageOrigin{Type: models.MessageOriginTypeHiddenUser,
		MessageOriginHiddenUser: &models.MessageOriginHiddenUser{Date: 1, SenderUserName: "王科长"}}
	u3, _ := srv.ForwardText(alice, chat, origin, "柯桥 辅导企业 +1")
	if u2 != u1+1 || u3 != u2+1 {
		t.Errorf("update ids %d %d %d, want consecutive", u1, u2, u3)
	}
	status, a, raw, err := post(ctx, srv, "getUpdates", "application/json", strings.NewReader(`{"timeout":0}`))
	if err != nil || status != http.StatusOK {
		t.Fatalf("getUpdates: %d %s %v", status, raw, err)
	}
	var ups []map[string]json.RawMessage
	if err := json.Unmarshal(a.Result, &ups); err != nil || len(ups) != 3 {
		t.Fatalf("getUpdates result %s: %v", a.Result, err)
	}
	if got := string(ups[0]["future_kind"]); got != `{"n":12345678901234567}` {
		t.Errorf("raw update = %s, numbers not kept exactly", got)
	}
	var m struct {
		MessageID   int             `json:"message_id"`
		Date        string          `json:"date"`
		Text        string          `json:"text"`
		ForwardFrom models.User     `json:"forward_from"`
		Chat        models.Chat     `json:"chat"`
		Origin      json.RawMessage `json:"forward_origin"`
	}
	if err := json.Unmarshal(ups[1]["message"], &m); err != nil {
		t.Fatal(err)
	}
	if m.MessageID != m2 || m.Date != "yesterday" || m.Text != "柯桥 辅导企业 +3" || m.ForwardFrom.ID != bob.ID || m.Chat.ID != chat.ID {
		t.Errorf("message with fields = %s", ups[1]["message"])
	}
	if _, ok := srv.Message(chat.ID, m2); !ok {
		t.Errorf("message %d of SendTextWith not stored", m2)
	}
	var fwd models.Update
	if err := json.Unmarshal(mustJSON(t, ups[2]), &fwd); err != nil || fwd.Message == nil || fwd.Message.ForwardOrigin == nil ||
		fwd.Message.ForwardOrigin.MessageOriginHiddenUser.SenderUserName != "王科长" {
		t.Errorf("forward = %s (%v)", mustJSON(t, ups[2]), err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
