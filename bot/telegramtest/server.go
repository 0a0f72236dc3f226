// Package telegramtest is a fake of the part of the Telegram Bot API that
// tsbot uses, served by net/http/httptest on 127.0.0.1.
//
// It keeps Telegram's semantics where our bot depends on them: updates stay
// queued until a getUpdates call confirms them with a higher offset, long
// polls block until an update arrives, message ids count up per chat, edits
// of unchanged content are refused, and errors come back in Telegram's JSON
// shape. Tests drive it with the real go-telegram/bot client through
// bot.WithServerURL(srv.URL()), inject what users do (SendText, EditText,
// PressButton), and read back what the bot did (Calls, WaitCalls).
//
// It is safe for concurrent use. Nothing in it sleeps: waiting is done on a
// channel that is closed whenever the server's state changes.
package telegramtest

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
)

const (
	// Token is the only token the server accepts. Its numeric prefix is the
	// bot's user id, as with real tokens, so bot.(*Bot).ID() returns BotID.
	Token = "123456789:AAFakeTelegramtestTokenNotReal_0123"
	// BotID is the user id of the bot, taken from Token.
	BotID int64 = 123456789
	// BotUsername is the bot's @username without the @.
	BotUsername = "tsbot_test_bot"

	// firstUpdateID is far from 1 so that a test mixing up update ids and
	// message ids (which start at 1 in every chat) fails instead of passing
	// by coincidence.
	firstUpdateID = 10001
)

// BotUser is the bot's own user, as getMe returns it and as the sender of
// every message the bot sends.
var BotUser = models.User{
	ID:        BotID,
	IsBot:     true,
	FirstName: "TS Bot",
	Username:  BotUsername,

	CanJoinGroups: true,
}

// Call is one request the bot made, as the server understood it.
type Call struct {
	// Method is the canonical method name, e.g. "sendMessage", whatever
	// case the bot used (Telegram matches method names case-insensitively).
	Method string
	// Params holds every non-file parameter as a string, the way it arrives
	// in a form: numbers in decimal, nested objects such as reply_markup as
	// JSON text.
	Params map[string]string
	// Files holds uploaded file parts by form field name.
	Files map[string]File
	// Status is the HTTP status answered. It is 0 while a long poll is still
	// open and when a Drop fault closed the connection.
	Status int
	// Result is the "result" of a successful answer.
	Result json.RawMessage
	// Error is the "description" of a failed answer.
	Error string
	// Message is the Message answered by sendMessage, sendDocument and the
	// edit methods.
	Message *models.Message
}

// File is an uploaded file part.
type File struct {
	Name        string
	ContentType string
	Data        []byte
}

// Server is a fake Telegram Bot API server.
type Server struct {
	srv       *httptest.Server
	closeOnce sync.Once

	// ctx ends webhook deliveries when the server closes.
	ctx    context.Context
	cancel context.CancelFunc
	bg     sync.WaitGroup
	client *http.Client
	// deliverMu keeps webhook deliveries one at a time, so the bot gets
	// updates in order as it would from Telegram.
	deliverMu sync.Mutex

	mu sync.Mutex
	// changed is closed and replaced whenever anything below changes; every
	// waiter (long polls, Wait) selects on it instead of sleeping.
	changed chan struct{}
	closed  bool
	now     func() time.Time

	calls  []Call
	faults map[string][]Fault

	// updates holds the unconfirmed updates in ascending id order.
	updates      []queuedUpdate
	nextUpdateID int64
	// offset is Telegram's confirmed offset: every update below it is gone.
	offset int64
	// pollGen identifies the newest getUpdates call; an older one still
	// waiting is terminated with 409 Conflict, as Telegram does.
	pollGen int

	chats       map[int64]*chatState
	queries     map[string]bool // callback query id → already answered
	nextQueryID int64
	nextFileID  int
	files       map[string]storedFile // what users sent, by file_id (files.go)

	history map[int64][]byte // every injected update, for Redeliver

	// menus are the command menus set, by scope (see Menu).
	menus map[string][]models.BotCommand

	webhookURL    string
	webhookSecret string
	webhookError  string
	// webhookErrorDate is when webhookError happened, as unix time.
	webhookErrorDate int
}

type queuedUpdate struct {
	id  int64
	raw json.RawMessage
	// again: put back by Redeliver; no offset confirms it until it was
	// served once more.
	again bool
}

// New starts a server on 127.0.0.1 that is closed when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := NewServer()
	t.Cleanup(s.Close)
	return s
}

// NewServer starts a server on 127.0.0.1 for use outside a test's lifetime,
// e.g. by a test that runs the bot in a child process. Call Close when done.
func NewServer() *Server {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		ctx:          ctx,
		cancel:       cancel,
		client:       &http.Client{Timeout: 30 * time.Second},
		changed:      make(chan struct{}),
		now:          time.Now,
		faults:       map[string][]Fault{},
		nextUpdateID: firstUpdateID,
		chats:        map[int64]*chatState{},
		queries:      map[string]bool{},
	}
	// Listen explicitly on loopback: tests must never reach anything else.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("telegramtest: listen on 127.0.0.1: " + err.Error())
	}
	s.srv = httptest.NewUnstartedServer(s)
	s.srv.Listener = l
	s.srv.Start()
	return s
}

// URL is the server's base URL, for bot.WithServerURL.
func (s *Server) URL() string { return s.srv.URL }

// Close ends open long polls and webhook deliveries and stops the server.
// It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.notifyLocked()
		s.mu.Unlock()
		s.cancel()
		s.bg.Wait()
		s.srv.Close()
	})
}

// SetNow replaces the clock used for message dates.
func (s *Server) SetNow(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Wait blocks until cond returns true or ctx ends. cond is re-evaluated
// after every change of the server's state (a call, an update injected or
// confirmed), so it may use any of the Server's accessors.
func (s *Server) Wait(ctx context.Context, cond func() bool) error {
	for {
		// Take the channel before evaluating cond: a change that happens
		// after this point closes it, so none can be missed.
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Calls returns every call the bot made, in the order they arrived.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsTo returns the calls of one method, in order. The name is matched
// case-insensitively.
func (s *Server) CallsTo(method string) []Call {
	method = canonicalMethod(method)
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// WaitCalls blocks until at least n calls of method have been made and
// returns all calls of that method. getUpdates calls are recorded as soon as
// they arrive, so WaitCalls(ctx, "getUpdates", n) also tells when the bot
// is polling.
func (s *Server) WaitCalls(ctx context.Context, method string, n int) ([]Call, error) {
	var calls []Call
	err := s.Wait(ctx, func() bool {
		calls = s.CallsTo(method)
		return len(calls) >= n
	})
	if err != nil {
		return calls, errors.Join(errors.New("telegramtest: waiting for "+method), err)
	}
	return calls, nil
}

// Pending is the number of updates not yet confirmed by the bot (or, in
// webhook mode, not yet accepted by its webhook).
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.updates)
}

// Offset is the confirmed offset: every update with a lower id has been
// confirmed and will never be delivered again.
func (s *Server) Offset() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offset
}

// WaitPending blocks until exactly n updates are unconfirmed, e.g.
// WaitPending(ctx, 0) after the bot has confirmed everything.
func (s *Server) WaitPending(ctx context.Context, n int) error {
	return s.Wait(ctx, func() bool { return s.Pending() == n })
}

// ServeHTTP answers Bot API requests: POST /bot{token}/{method}.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/file/bot"); ok {
		token, path, _ := strings.Cut(rest, "/")
		s.serveFile(w, token, path)
		return
	}
	token, method, ok := splitPath(r.URL.Path)
	if !ok {
		writeError(w, apiError{code: http.StatusNotFound, description: "Not Found"})
		return
	}
	method = canonicalMethod(method)
	p, perr := parseParams(w, r)

	s.mu.Lock()
	idx := len(s.calls)
	s.calls = append(s.calls, Call{Method: method, Params: p.values, Files: p.files})
	s.notifyLocked()

	if token != Token {
		s.answerLocked(w, idx, nil, &apiError{code: http.StatusUnauthorized, description: "Unauthorized"})
		s.mu.Unlock()
		return
	}
	if f, ok := s.popFaultLocked(method); ok {
		s.mu.Unlock()
		s.serveFault(w, idx, f)
		return
	}
	if perr != nil {
		s.answerLocked(w, idx, nil, perr)
		s.mu.Unlock()
		return
	}
	if method == "getUpdates" {
		s.mu.Unlock()
		s.getUpdates(w, r, idx, p)
		return
	}
	h, ok := handlers[method]
	if !ok {
		s.answerLocked(w, idx, nil, &apiError{code: http.StatusNotFound, description: "Not Found"})
		s.mu.Unlock()
		return
	}
	result, aerr := h(s, p)
	s.answerLocked(w, idx, result, aerr)
	deliver := s.webhookURL != "" && len(s.updates) > 0 && method == "setWebhook"
	s.mu.Unlock()

	if deliver {
		// Telegram starts pushing queued updates once a webhook is set, on
		// its own schedule; FlushWebhook gives tests a deterministic point.
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			_ = s.FlushWebhook()
		}()
	}
}

// splitPath takes "/bot{token}/{method}" (or go-telegram's test-environment
// form "/bot{token}/test/{method}") apart.
func splitPath(path string) (token, method string, ok bool) {
	rest, ok := strings.CutPrefix(path, "/bot")
	if !ok {
		return "", "", false
	}
	token, method, ok = strings.Cut(rest, "/")
	method = strings.TrimPrefix(method, "test/")
	if !ok || method == "" || strings.Contains(method, "/") {
		return "", "", false
	}
	return token, method, true
}

// answerLocked writes the response and completes the recorded call.
func (s *Server) answerLocked(w http.ResponseWriter, idx int, result any, aerr *apiError) {
	c := &s.calls[idx]
	defer s.notifyLocked()
	if aerr != nil {
		c.Status = aerr.code
		c.Error = aerr.description
		writeError(w, *aerr)
		return
	}
	raw, err := json.Marshal(result)
	if err != nil {
		aerr := apiError{code: http.StatusInternalServerError, description: "Internal Server Error: " + err.Error()}
		c.Status = aerr.code
		c.Error = aerr.description
		writeError(w, aerr)
		return
	}
	c.Status = http.StatusOK
	c.Result = raw
	if m, ok := result.(*models.Message); ok {
		c.Message = m
	}
	writeJSON(w, http.StatusOK, okBody{OK: true, Result: raw})
}

// apiError is a failed answer in Telegram's shape.
type apiError struct {
	code        int
	description string
	retryAfter  int
}

func badRequest(description string) *apiError {
	return &apiError{code: http.StatusBadRequest, description: "Bad Request: " + description}
}

// errorBody keeps Telegram's field order, so raw answers read exactly like
// Telegram's.
type errorBody struct {
	OK          bool             `json:"ok"`
	ErrorCode   int              `json:"error_code"`
	Description string           `json:"description"`
	Parameters  *errorParameters `json:"parameters,omitempty"`
}

type errorParameters struct {
	RetryAfter int `json:"retry_after"`
}

type okBody struct {
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result"`
}

func writeError(w http.ResponseWriter, e apiError) {
	body := errorBody{ErrorCode: e.code, Description: e.description}
	if e.retryAfter > 0 {
		body.Parameters = &errorParameters{RetryAfter: e.retryAfter}
		w.Header().Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	writeJSON(w, e.code, body)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	raw, err := json.Marshal(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(raw)
}
