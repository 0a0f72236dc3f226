// Package dingtalktest is a fake DingTalk for the tests, on 127.0.0.1 only:
// the Stream gateway (the open-connection call and the websocket, with bot
// messages pushed as any staff member, pings, disconnects and dropped
// connections), the session webhooks the replies go to, the access-token
// endpoint, the robot OpenAPI sends (with injectable 429, 500 and quota
// errors), the media upload of files (oapi's /media/upload, with injectable
// failures), the download of files staff send (the robot API's
// messageFiles/download, then the URL it gives, with injectable failures)
// and custom group robots that check their signature.
package dingtalktest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Topic is the bot-message topic of DingTalk's Stream mode.
const Topic = "/v1.0/im/bot/messages/get"

// Sent is one message the bot posted: where, and the decoded JSON body.
type Sent struct {
	Path  string         // the endpoint ("/session/cidA", "/v1.0/robot/oToMessages/batchSend", "/robot/send")
	Query string         // the query, for custom robots
	Body  map[string]any // the request as posted
	Raw   []byte
}

// Text is the shown text of a sent message, whatever its msgtype or msgKey.
func (s Sent) Text() string {
	pick := func(m map[string]any) string {
		for _, k := range []string{"text", "content", "markdown"} {
			if v, ok := m[k].(string); ok {
				return v
			}
		}
		return ""
	}
	for _, k := range []string{"markdown", "text", "actionCard"} {
		if m, ok := s.Body[k].(map[string]any); ok {
			return pick(m)
		}
	}
	if p, ok := s.Body["msgParam"].(string); ok {
		var m map[string]any
		if json.Unmarshal([]byte(p), &m) == nil {
			return pick(m)
		}
	}
	return ""
}

// Server is the fake. Its zero value is not usable: call New.
type Server struct {
	*httptest.Server
	t            testing.TB
	ClientID     string
	ClientSecret string

	mu         sync.Mutex
	conn       *websocket.Conn
	connWrite  sync.Mutex
	connects   int
	tickets    map[string]bool
	acks       map[string]int // message id → acknowledgements
	frames     []string       // every data-frame message id pushed
	sent       []Sent
	tokens     map[string]time.Time // token → expiry
	tokenTTL   time.Duration
	tokenCalls int
	robotCalls int
	failures   []failure
	robots     map[string]string // custom robot access token → secret
	uploads    []Upload
	failUpload int
	files      map[string]*sentFile // downloadCode → the file of a file message
	fileURLs   map[string]*sentFile // the key of a download URL given out
	failFiles  []failure
	fileCalls  int    // messageFiles/download calls
	fileGets   int    // downloads of a URL given out
	fileBase   string // where download URLs point; "": this server
	fileMoved  string // where a download URL redirects; "": nowhere
	fileBytes  int64  // bytes of downloads written to the bot
	fileEnds   int    // downloads served to their end or given up
	seq        int
	slow       time.Duration // how long a session webhook takes to answer
	changed    chan struct{}
}

// SlowSessions makes every session webhook post take d before it is
// answered (the message is shown at once).
func (s *Server) SlowSessions(d time.Duration) {
	s.mu.Lock()
	s.slow = d
	s.mu.Unlock()
}

type failure struct {
	status int
	code   string
}

// New starts a fake DingTalk for an app with these credentials.
func New(t testing.TB, clientID, clientSecret string) *Server {
	s := &Server{t: t, ClientID: clientID, ClientSecret: clientSecret, tickets: map[string]bool{}, acks: map[string]int{},
		tokens: map[string]time.Time{}, tokenTTL: 2 * time.Hour, robots: map[string]string{}, changed: make(chan struct{}),
		files: map[string]*sentFile{}, fileURLs: map[string]*sentFile{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1.0/gateway/connections/open", s.open)
	mux.HandleFunc("GET /connect", s.connect)
	mux.HandleFunc("POST /session/{conv}", s.session)
	mux.HandleFunc("POST /v1.0/oauth2/accessToken", s.token)
	mux.HandleFunc("POST /v1.0/robot/oToMessages/batchSend", s.robot)
	mux.HandleFunc("POST /v1.0/robot/groupMessages/send", s.robot)
	mux.HandleFunc("POST /robot/send", s.customRobot)
	mux.HandleFunc("POST /media/upload", s.upload)
	mux.HandleFunc("POST /v1.0/robot/messageFiles/download", s.messageFile)
	mux.HandleFunc("GET /files/{key}", s.serveFile)
	s.Server = httptest.NewServer(mux) // 127.0.0.1
	t.Cleanup(s.Close)
	return s
}

// Close drops the websocket and stops the server.
func (s *Server) Close() {
	s.Drop()
	s.Server.Close()
}

func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// wait calls cond under the lock until it holds or timeout passes.
func (s *Server) wait(timeout time.Duration, cond func() bool) bool {
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		ok := cond()
		ch := s.changed
		s.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-deadline:
			return false
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) open(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ClientID      string `json:"clientId"`
		ClientSecret  string `json:"clientSecret"`
		Subscriptions []struct{ Type, Topic string }
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil {
		writeJSON(w, 400, map[string]string{"code": "InvalidParameter", "message": "bad json"})
		return
	}
	if req.ClientID != s.ClientID || req.ClientSecret != s.ClientSecret {
		writeJSON(w, 401, map[string]string{"code": "InvalidAuthentication", "message": "clientId or clientSecret is wrong"})
		return
	}
	s.mu.Lock()
	s.seq++
	ticket := fmt.Sprintf("ticket-%d", s.seq)
	s.tickets[ticket] = true
	s.mu.Unlock()
	writeJSON(w, 200, map[string]string{"endpoint": "ws://" + r.Host + "/connect", "ticket": ticket})
}

var upgrader = websocket.Upgrader{}

func (s *Server) connect(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	ok := s.tickets[ticket]
	delete(s.tickets, ticket) // single use
	s.mu.Unlock()
	if !ok {
		http.Error(w, "bad ticket", http.StatusUnauthorized)
		return
	}
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s.mu.Lock()
	if s.conn != nil {
		s.conn.Close()
	}
	s.conn = c
	s.connects++
	s.notify()
	s.mu.Unlock()
	for {
		_, msg, err := c.ReadMessage()
		if err != nil {
			return
		}
		var ack struct {
			Code    int               `json:"code"`
			Headers map[string]string `json:"headers"`
		}
		if json.Unmarshal(msg, &ack) == nil && ack.Headers["messageId"] != "" {
			s.mu.Lock()
			if ack.Code == 200 {
				s.acks[ack.Headers["messageId"]]++
			}
			s.notify()
			s.mu.Unlock()
		}
	}
}

// WaitConnected waits until the bot has opened n websockets in all.
func (s *Server) WaitConnected(n int, timeout time.Duration) bool {
	return s.wait(timeout, func() bool { return s.connects >= n && s.conn != nil })
}

// Connects is how many websockets the bot has opened.
func (s *Server) Connects() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connects
}

// Drop closes the websocket without a word, as a lost network does.
func (s *Server) Drop() {
	s.mu.Lock()
	c := s.conn
	s.conn = nil
	s.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

func (s *Server) push(typ, topic, id, data string) error {
	frame := map[string]any{"specVersion": "1.0", "type": typ, "time": time.Now().UnixMilli(),
		"headers": map[string]string{"topic": topic, "messageId": id, "contentType": "application/json",
			"time": strconv.FormatInt(time.Now().UnixMilli(), 10)},
		"data": data}
	s.mu.Lock()
	c := s.conn
	if typ != "SYSTEM" {
		s.frames = append(s.frames, id)
	}
	s.mu.Unlock()
	if c == nil {
		return fmt.Errorf("dingtalktest: no connection")
	}
	s.connWrite.Lock()
	defer s.connWrite.Unlock()
	return c.WriteJSON(frame)
}

// Ping sends a SYSTEM ping; the bot answers it.
func (s *Server) Ping() string {
	id := s.nextID("ping")
	s.push("SYSTEM", "ping", id, `{"opaque":"x"}`)
	return id
}

// Disconnect sends a SYSTEM disconnect: the bot acknowledges and reconnects.
func (s *Server) Disconnect() string {
	id := s.nextID("disc")
	s.push("SYSTEM", "disconnect", id, `{"reason":"server restarting"}`)
	return id
}

func (s *Server) nextID(prefix string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return fmt.Sprintf("%s-%d", prefix, s.seq)
}

// Msg is a bot message as a staff member sends it.
type Msg struct {
	Staff        string // senderStaffId
	Nick         string
	Conversation string // conversationId; "" is a private chat of its own
	Group        bool
	At           bool   // the bot is @-mentioned (in a group DingTalk delivers only these)
	Text         string // as typed, without the mention
	MsgID        string // "" gets a fresh one
	// WebhookHost replaces the session webhook's host (a forged frame).
	WebhookHost string
	// WebhookExpired makes the session webhook already expired.
	WebhookExpired bool
	// File, if set, makes it a file message (msgtype "file") of that file
	// name, with a downloadCode, as DingTalk sends a document; FileData is
	// what its download serves.
	File     string
	FileData []byte
	// FileUnsized serves the download without a Content-Length.
	FileUnsized bool
	// FileSize, if over len(FileData), pads the download with zeros to
	// that size, made as it is served (a large file, not kept).
	FileSize int64
}

// Send pushes a bot message frame and returns its msgId (the frame's
// message id is the same, as DingTalk's are per delivery).
func (s *Server) Send(m Msg) string {
	s.t.Helper()
	id, err := s.TrySend(m)
	if err != nil {
		s.t.Fatalf("dingtalktest: send: %v", err)
	}
	return id
}

// TrySend is Send that reports a missing connection instead of failing.
func (s *Server) TrySend(m Msg) (string, error) {
	if m.MsgID == "" {
		m.MsgID = s.nextID("msg")
	}
	typ := "1"
	if m.Group {
		typ = "2"
	}
	conv := m.Conversation
	if conv == "" {
		conv = "cid-private-" + m.Staff
	}
	text := m.Text
	if m.Group && m.At {
		text = "@进度助手 " + text
	}
	host := s.Listener.Addr().String()
	if m.WebhookHost != "" {
		host = m.WebhookHost
	}
	expires := time.Now().Add(90 * time.Minute).UnixMilli()
	if m.WebhookExpired {
		expires = time.Now().Add(-time.Minute).UnixMilli()
	}
	data := map[string]any{
		"conversationId": conv, "conversationType": typ, "senderStaffId": m.Staff, "senderNick": m.Nick,
		"senderId": "$:LWCP_v1:$" + m.Staff, "isInAtList": m.At, "msgId": m.MsgID, "msgtype": "text",
		"text": map[string]string{"content": text}, "robotCode": s.ClientID, "chatbotUserId": "$:bot",
		"sessionWebhook": "http://" + host + "/session/" + conv, "sessionWebhookExpiredTime": expires,
		"createAt": time.Now().UnixMilli(), "conversationTitle": "测试群",
	}
	if m.File != "" {
		data["msgtype"] = "file"
		delete(data, "text")
		code := "dc-" + m.MsgID
		data["content"] = map[string]string{"fileName": m.File, "downloadCode": code, "spaceId": "1", "fileId": "f-" + m.MsgID}
		s.mu.Lock()
		s.files[code] = &sentFile{data: m.FileData, unsized: m.FileUnsized, size: max(m.FileSize, int64(len(m.FileData)))}
		s.mu.Unlock()
	}
	b, _ := json.Marshal(data)
	return m.MsgID, s.push("CALLBACK", Topic, m.MsgID, string(b))
}

// Resend pushes the frame of an earlier message again (a repeated frame).
func (s *Server) Resend(m Msg) error {
	if m.MsgID == "" {
		return fmt.Errorf("dingtalktest: resend needs the msgId")
	}
	_, err := s.TrySend(m)
	return err
}

// Acks is how many times the bot acknowledged message id.
func (s *Server) Acks(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acks[id]
}

// WaitAck waits for the acknowledgement of message id.
func (s *Server) WaitAck(id string, timeout time.Duration) bool {
	return s.wait(timeout, func() bool { return s.acks[id] > 0 })
}

func (s *Server) record(r *http.Request) (Sent, bool) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return Sent{}, false
	}
	var body map[string]any
	if json.Unmarshal(raw, &body) != nil {
		return Sent{}, false
	}
	return Sent{Path: r.URL.Path, Query: r.URL.RawQuery, Body: body, Raw: raw}, true
}

func (s *Server) keep(m Sent) {
	s.mu.Lock()
	s.sent = append(s.sent, m)
	s.notify()
	s.mu.Unlock()
}

// lag holds an answer for the delay SlowSessions set, or until the bot
// gives up on the request.
func (s *Server) lag(r *http.Request) {
	s.mu.Lock()
	slow := s.slow
	s.mu.Unlock()
	if slow > 0 {
		select {
		case <-time.After(slow):
		case <-r.Context().Done():
		}
	}
}

func (s *Server) session(w http.ResponseWriter, r *http.Request) {
	m, ok := s.record(r)
	if !ok {
		writeJSON(w, 400, map[string]any{"errcode": 40035, "errmsg": "bad json"})
		return
	}
	s.keep(m)
	s.lag(r)
	writeJSON(w, 200, map[string]any{"errcode": 0, "errmsg": "ok"})
}

// Sent lists what the bot posted, in order, to paths starting with prefix
// ("" for everything).
func (s *Server) Sent(prefix string) []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Sent
	for _, m := range s.sent {
		if strings.HasPrefix(m.Path, prefix) {
			out = append(out, m)
		}
	}
	return out
}

// WaitSent waits until n messages went to paths starting with prefix.
func (s *Server) WaitSent(prefix string, n int, timeout time.Duration) []Sent {
	s.wait(timeout, func() bool {
		k := 0
		for _, m := range s.sent {
			if strings.HasPrefix(m.Path, prefix) {
				k++
			}
		}
		return k >= n
	})
	return s.Sent(prefix)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	var req struct{ AppKey, AppSecret string }
	json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenCalls++
	if req.AppKey != s.ClientID || req.AppSecret != s.ClientSecret {
		writeJSON(w, 400, map[string]string{"code": "invalidClientIdOrSecret", "message": "无效的clientId或者clientSecret"})
		return
	}
	s.seq++
	tok := fmt.Sprintf("tok-%d", s.seq)
	s.tokens[tok] = time.Now().Add(s.tokenTTL)
	writeJSON(w, 200, map[string]any{"accessToken": tok, "expireIn": int(s.tokenTTL / time.Second)})
}

// SetTokenTTL sets the lifetime of the tokens handed out from now on.
func (s *Server) SetTokenTTL(d time.Duration) {
	s.mu.Lock()
	s.tokenTTL = d
	s.mu.Unlock()
}

// ExpireTokens makes every token handed out so far invalid.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	clear(s.tokens)
	s.mu.Unlock()
}

// TokenCalls is how many token requests came.
func (s *Server) TokenCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenCalls
}

// RobotCalls is how many robot OpenAPI calls came.
func (s *Server) RobotCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.robotCalls
}

// FailRobot makes the next n robot OpenAPI calls fail: status 429 or 500,
// or 403 with code "90020" (the organisation's quota is used up).
func (s *Server) FailRobot(status int, code string, n int) {
	s.mu.Lock()
	for range n {
		s.failures = append(s.failures, failure{status, code})
	}
	s.mu.Unlock()
}

func (s *Server) robot(w http.ResponseWriter, r *http.Request) {
	tok := r.Header.Get("x-acs-dingtalk-access-token")
	s.mu.Lock()
	s.robotCalls++
	exp, ok := s.tokens[tok]
	var f *failure
	if len(s.failures) > 0 {
		f = &s.failures[0]
		s.failures = s.failures[1:]
	}
	s.notify()
	s.mu.Unlock()
	if !ok || time.Now().After(exp) {
		writeJSON(w, 401, map[string]string{"code": "InvalidAuthentication", "message": "不合法的access_token"})
		return
	}
	if f != nil {
		writeJSON(w, f.status, map[string]string{"code": f.code, "message": "injected failure"})
		return
	}
	m, ok := s.record(r)
	if !ok {
		writeJSON(w, 400, map[string]string{"code": "InvalidParameter", "message": "bad json"})
		return
	}
	s.keep(m)
	writeJSON(w, 200, map[string]any{"processQueryKey": "q1"})
}

// CustomRobot registers a custom group robot and returns its webhook URL.
func (s *Server) CustomRobot(accessToken, secret string) string {
	s.mu.Lock()
	s.robots[accessToken] = secret
	s.mu.Unlock()
	return s.URL + "/robot/send?access_token=" + accessToken
}

// Sign is the custom robot signature of timestamp (ms) with secret.
func Sign(timestamp int64, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%d\n%s", timestamp, secret)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func (s *Server) customRobot(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	secret, ok := s.robots[q.Get("access_token")]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, 200, map[string]any{"errcode": 300001, "errmsg": "token is not exist"})
		return
	}
	ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
	if err != nil || time.Since(time.UnixMilli(ts)).Abs() > time.Hour || q.Get("sign") != Sign(ts, secret) {
		writeJSON(w, 200, map[string]any{"errcode": 310000, "errmsg": "sign not match"})
		return
	}
	m, ok := s.record(r)
	if !ok {
		writeJSON(w, 200, map[string]any{"errcode": 40035, "errmsg": "bad json"})
		return
	}
	s.keep(m)
	s.lag(r)
	writeJSON(w, 200, map[string]any{"errcode": 0, "errmsg": "ok"})
}
