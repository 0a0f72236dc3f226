package dingtalk

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A custom group robot (自定义机器人): one-way, a webhook URL with a signing
// secret, at most 20 messages a minute. For a county group where a full app
// is not possible: reminders and the weekly digest go there.

// robotPerMinute is DingTalk's limit for one custom robot.
const robotPerMinute = 20

// Robot posts to custom group robots.
type Robot struct {
	base string // the robot send URL, https://oapi.dingtalk.com/robot/send
	http *http.Client
	now  func() time.Time

	mu   sync.Mutex
	sent map[string][]time.Time // per webhook: the sends of the last minute
}

// NewRobot makes a custom-robot sender; base is the send URL that a bare
// access token is appended to.
func NewRobot(base string, hc *http.Client) *Robot {
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	return &Robot{base: base, http: hc, now: time.Now, sent: map[string][]time.Time{}}
}

// sign is the signature of timestamp (ms) with secret: HMAC-SHA256 of
// "timestamp\nsecret", base64.
func sign(ts int64, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%d\n%s", ts, secret)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// wait holds a send until the webhook is under its limit (or ctx ends).
func (r *Robot) wait(ctx context.Context, hook string) error {
	for {
		r.mu.Lock()
		now := r.now()
		recent := r.sent[hook][:0]
		for _, t := range r.sent[hook] {
			if now.Sub(t) < time.Minute {
				recent = append(recent, t)
			}
		}
		r.sent[hook] = recent
		if len(recent) < robotPerMinute {
			r.sent[hook] = append(recent, now)
			r.mu.Unlock()
			return nil
		}
		next := recent[0].Add(time.Minute).Sub(now)
		r.mu.Unlock()
		select {
		case <-time.After(next):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Send posts markdown to the robot: webhook is its URL, or its access token
// alone (then the configured base URL is used).
func (r *Robot) Send(ctx context.Context, webhook, secret, title, text string) error {
	u := webhook
	if !strings.Contains(webhook, "://") {
		u = r.base + "?access_token=" + url.QueryEscape(webhook)
	}
	if err := r.wait(ctx, u); err != nil {
		return err
	}
	ts := r.now().UnixMilli()
	sep := "&"
	if !strings.Contains(u, "?") {
		sep = "?"
	}
	u += sep + "timestamp=" + strconv.FormatInt(ts, 10) + "&sign=" + url.QueryEscape(sign(ts, secret))
	body, _ := json.Marshal(map[string]any{"msgtype": "markdown", "markdown": map[string]string{"title": title, "text": text}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("dingtalk: robot: %w", errRobotURL)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.http.Do(req)
	if err != nil {
		// The URL holds the access token: not quoted.
		return fmt.Errorf("dingtalk: robot: post failed: %w", errRobotURL)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	var out struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	json.Unmarshal(raw, &out)
	if resp.StatusCode != http.StatusOK || out.ErrCode != 0 {
		return fmt.Errorf("dingtalk: robot: HTTP %d errcode %d %s: %w", resp.StatusCode, out.ErrCode, out.ErrMsg, ErrRefused)
	}
	return nil
}

var errRobotURL = fmt.Errorf("the robot webhook did not answer")
