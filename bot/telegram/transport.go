package telegram

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

// idleConns is how many connections to the Bot API are kept open: the long
// poll, and a send per chat at once.
const idleConns = 32

// transport is the default transport keeping idleConns connections open,
// with bodies sent whole. The default keeps 2: with more chats than that
// sending at once, every other send dialled a new connection (a TLS
// handshake, against Telegram).
func transport() http.RoundTripper {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = max(tr.MaxIdleConns, idleConns)
	tr.MaxIdleConnsPerHost = idleConns
	return wholeBodies{tr}
}

// wholeBodies reads a request body of unknown length before sending it.
// go-telegram/bot streams its multipart form through a pipe, which
// net/http sends chunked, a write to the socket per form part: a
// sendMessage took a dozen writes and as many reads at the other end. Read
// first, it goes in one. The bodies are small, or (a document) in memory
// already.
type wholeBodies struct{ next http.RoundTripper }

func (w wholeBodies) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody || req.ContentLength != 0 {
		return w.next.RoundTrip(req)
	}
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("telegram: request body: %w", err)
	}
	r := req.Clone(req.Context())
	r.ContentLength = int64(len(body))
	r.Body, r.GetBody = http.NoBody, nil
	if len(body) > 0 {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	return w.next.RoundTrip(r)
}
