package dingtalk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The robot OpenAPI, for what does not answer a message through its session
// webhook: a reply after the webhook expired, reminders. A thin client for
// the few endpoints the bot uses, with the access token cached until shortly
// before it expires.

// ErrQuota is DingTalk's refusal once the organisation's monthly API quota
// is used up (90020): never retried in a loop, only logged.
var ErrQuota = errors.New("dingtalk: the organisation's API quota is used up (90020)")

// ErrRefused is a refusal that trying again will not change.
var ErrRefused = errors.New("dingtalk: refused")

// api talks to DingTalk's OpenAPI at base.
type api struct {
	base      string
	oapi      string // the older API's base, for media uploads
	clientID  string
	secret    string
	robotCode string
	http      *http.Client

	mu      sync.Mutex
	token   string
	expires time.Time

	calls atomic.Int64 // API calls made, for the quota
}

func newAPI(base, clientID, secret, robotCode string, hc *http.Client) *api {
	return &api{base: base, oapi: oapiBase(base), clientID: clientID, secret: secret, robotCode: robotCode, http: hc}
}

// apiError is DingTalk's error body.
type apiError struct {
	Status  int
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *apiError) Error() string {
	return fmt.Sprintf("dingtalk: HTTP %d: %s %s", e.Status, e.Code, e.Message)
}

func (e *apiError) Unwrap() error {
	switch {
	case e.Code == "90020":
		return ErrQuota
	case e.Status == 429 || e.Status >= 500:
		return nil
	}
	return ErrRefused
}

func (a *api) post(ctx context.Context, path string, token string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("dingtalk: encode: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("dingtalk: %s: %w", path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("x-acs-dingtalk-access-token", token)
	}
	a.calls.Add(1)
	resp, err := a.http.Do(req)
	if err != nil {
		return fmt.Errorf("dingtalk: %s: %w", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("dingtalk: %s: read: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		e := &apiError{Status: resp.StatusCode}
		json.Unmarshal(raw, e)
		return fmt.Errorf("dingtalk: %s: %w", path, e)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("dingtalk: %s: decode: %w", path, err)
		}
	}
	return nil
}

// Token returns a valid access token, asking for a new one when the cached
// one is about to expire.
func (a *api) Token(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token != "" && time.Now().Before(a.expires) {
		return a.token, nil
	}
	var out struct {
		AccessToken string `json:"accessToken"`
		ExpireIn    int64  `json:"expireIn"`
	}
	err := a.post(ctx, "/v1.0/oauth2/accessToken", "", map[string]string{"appKey": a.clientID, "appSecret": a.secret}, &out)
	if err != nil {
		return "", fmt.Errorf("dingtalk: dingtalk.client_id/client_secret: access token: %w", err)
	}
	a.token = out.AccessToken
	// Renewed five minutes early (or at half its life, if shorter).
	life := time.Duration(out.ExpireIn) * time.Second
	a.expires = time.Now().Add(life - min(5*time.Minute, life/2))
	return a.token, nil
}

func (a *api) forget(token string) {
	a.mu.Lock()
	if a.token == token {
		a.token = ""
	}
	a.mu.Unlock()
}

// robotSend posts to a robot endpoint with the token; a token DingTalk no
// longer takes (401) is renewed once.
func (a *api) robotSend(ctx context.Context, path string, in map[string]any) error {
	return a.robotCall(ctx, path, in, nil)
}

// robotCall is robotSend that decodes the answer into out.
func (a *api) robotCall(ctx context.Context, path string, in map[string]any, out any) error {
	for try := 0; ; try++ {
		tok, err := a.Token(ctx)
		if err != nil {
			return err
		}
		err = a.post(ctx, path, tok, in, out)
		var e *apiError
		if try == 0 && errors.As(err, &e) && e.Status == http.StatusUnauthorized {
			a.forget(tok)
			continue
		}
		return err
	}
}

// SendToStaff sends a message privately to staff members (oToMessages).
func (a *api) SendToStaff(ctx context.Context, staff []string, msgKey string, param map[string]any) error {
	p, _ := json.Marshal(param)
	return a.robotSend(ctx, "/v1.0/robot/oToMessages/batchSend",
		map[string]any{"robotCode": a.robotCode, "userIds": staff, "msgKey": msgKey, "msgParam": string(p)})
}

// SendToGroup sends a message to a group by its openConversationId.
func (a *api) SendToGroup(ctx context.Context, openConversationID, msgKey string, param map[string]any) error {
	p, _ := json.Marshal(param)
	return a.robotSend(ctx, "/v1.0/robot/groupMessages/send",
		map[string]any{"robotCode": a.robotCode, "openConversationId": openConversationID, "msgKey": msgKey, "msgParam": string(p)})
}

// oapiBase is the host of DingTalk's older API (oapi), where media is
// uploaded: oapi.dingtalk.com beside api.dingtalk.com; any other api_url (a
// proxy, the tests' fake) is taken to serve both.
func oapiBase(apiBase string) string {
	u, err := url.Parse(apiBase)
	if err != nil || !strings.HasPrefix(u.Host, "api.") {
		return apiBase
	}
	u.Host = "o" + u.Host
	return strings.TrimRight(u.String(), "/")
}

// UploadFile uploads a file as media (oapi /media/upload, type file) with
// the app's access token and returns its media id, for a sampleFile.
func (a *api) UploadFile(ctx context.Context, name string, content []byte) (string, error) {
	tok, err := a.Token(ctx)
	if err != nil {
		return "", err
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("media", name)
	if err != nil {
		return "", fmt.Errorf("dingtalk: media upload: %w", err)
	}
	fw.Write(content)
	mw.Close()
	u := a.oapi + "/media/upload?type=file&access_token=" + url.QueryEscape(tok)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, &body)
	if err != nil {
		return "", fmt.Errorf("dingtalk: media upload: %w", ErrRefused)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	a.calls.Add(1)
	resp, err := a.http.Do(req)
	if err != nil {
		// The URL holds the access token: not quoted.
		return "", errors.New("dingtalk: media upload: post failed")
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	var out struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
		MediaID string `json:"media_id"`
	}
	json.Unmarshal(raw, &out)
	switch {
	case resp.StatusCode == 429 || resp.StatusCode >= 500:
		return "", fmt.Errorf("dingtalk: media upload: HTTP %d", resp.StatusCode)
	case resp.StatusCode != http.StatusOK || out.ErrCode != 0 || out.MediaID == "":
		if out.ErrCode == 90020 {
			return "", ErrQuota
		}
		return "", fmt.Errorf("dingtalk: media upload: HTTP %d errcode %d %s: %w", resp.StatusCode, out.ErrCode, out.ErrMsg, ErrRefused)
	}
	return out.MediaID, nil
}
