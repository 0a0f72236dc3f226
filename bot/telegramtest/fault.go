package telegramtest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Fault is a failure the server answers instead of performing a call. A
// faulted call has no effect: nothing is sent, edited or confirmed.
type Fault struct {
	// Code is the HTTP status and error_code.
	Code int
	// Description is Telegram's "description".
	Description string
	// RetryAfter is parameters.retry_after, in seconds, for 429.
	RetryAfter int
	// Drop closes the connection without any answer.
	Drop bool
	// HTML answers with an nginx-style HTML page instead of JSON, as
	// Telegram's front end does for 502.
	HTML bool
	// Page, with HTML, is the page answered instead of nginx's.
	Page string
}

// TooManyRequests is Telegram's flood-control answer.
func TooManyRequests(retryAfter int) Fault {
	return Fault{
		Code:        http.StatusTooManyRequests,
		Description: "Too Many Requests: retry after " + strconv.Itoa(retryAfter),
		RetryAfter:  retryAfter,
	}
}

// InternalError is a 500 in Telegram's JSON shape.
func InternalError() Fault {
	return Fault{Code: http.StatusInternalServerError, Description: "Internal Server Error"}
}

// BadGateway is the 502 Telegram's front end answers when the Bot API is
// down: an HTML page, not JSON, so clients see a decode error.
func BadGateway() Fault {
	return Fault{Code: http.StatusBadGateway, Description: "Bad Gateway", HTML: true}
}

// HTMLPage is an error answered as the HTML page given, e.g. one of a proxy
// that quotes the request URL.
func HTMLPage(code int, page string) Fault {
	return Fault{Code: code, Description: http.StatusText(code), HTML: true, Page: page}
}

// Blocked is the 403 for a user who blocked the bot.
func Blocked() Fault {
	return Fault{Code: http.StatusForbidden, Description: "Forbidden: bot was blocked by the user"}
}

// BadRequest is a 400; description gets Telegram's "Bad Request: " prefix
// unless it already has it.
func BadRequest(description string) Fault {
	if !strings.HasPrefix(description, "Bad Request: ") {
		description = "Bad Request: " + description
	}
	return Fault{Code: http.StatusBadRequest, Description: description}
}

// Dropped closes the connection without an answer, like a network failure
// after the request was sent.
func Dropped() Fault {
	return Fault{Drop: true}
}

// FailNext queues f for the next call of method (matched
// case-insensitively). Faults queued for one method are used one per call,
// in order.
func (s *Server) FailNext(method string, f Fault) {
	if !f.Drop && (f.Code < 400 || f.Code > 599) {
		panic(fmt.Sprintf("telegramtest: fault for %s has no error code (%d); use a constructor such as InternalError", method, f.Code))
	}
	method = canonicalMethod(method)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = append(s.faults[method], f)
}

func (s *Server) popFaultLocked(method string) (Fault, bool) {
	q := s.faults[method]
	if len(q) == 0 {
		return Fault{}, false
	}
	s.faults[method] = q[1:]
	return q[0], true
}

// serveFault answers with f and completes the recorded call.
func (s *Server) serveFault(w http.ResponseWriter, idx int, f Fault) {
	switch {
	case f.Drop:
		s.mu.Lock()
		s.calls[idx].Error = "connection dropped"
		s.notifyLocked()
		s.mu.Unlock()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			// Without hijacking, aborting the handler is the closest thing
			// net/http offers to a dropped connection.
			panic(http.ErrAbortHandler)
		}
		_ = conn.Close()
	case f.HTML:
		s.mu.Lock()
		s.calls[idx].Status = f.Code
		s.calls[idx].Error = f.Description
		s.notifyLocked()
		s.mu.Unlock()
		title := strconv.Itoa(f.Code) + " " + f.Description
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(f.Code)
		if f.Page != "" {
			_, _ = w.Write([]byte(f.Page))
			return
		}
		_, _ = w.Write([]byte("<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title + "</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n"))
	default:
		s.mu.Lock()
		s.answerLocked(w, idx, nil, &apiError{code: f.Code, description: f.Description, retryAfter: f.RetryAfter})
		s.mu.Unlock()
	}
}
