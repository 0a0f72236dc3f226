package telegramtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxUpload is Telegram's limit for files a bot uploads.
const maxUpload = 50 << 20

// params are a request's decoded parameters. Every value is kept as the
// string a form would carry, whichever encoding the body used, so tests
// compare one shape.
type params struct {
	values map[string]string
	files  map[string]File
}

// parseParams reads the query string and the body, which may be
// multipart/form-data (what go-telegram/bot always sends),
// application/x-www-form-urlencoded or application/json, like Telegram
// accepts. The returned params are usable even with an error, so the call
// can still be recorded.
func parseParams(w http.ResponseWriter, r *http.Request) (params, *apiError) {
	p := params{values: map[string]string{}, files: map[string]File{}}
	for k, v := range r.URL.Query() {
		p.values[k] = v[0]
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUpload))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return p, &apiError{code: http.StatusRequestEntityTooLarge, description: "Request Entity Too Large"}
		}
		return p, badRequest("can't read request body: " + err.Error())
	}
	if len(bytes.TrimSpace(body)) == 0 {
		// go-telegram/bot sends methods without parameters, e.g. getMe, as
		// an empty body with a multipart content type.
		return p, nil
	}
	mediaType, ctParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "multipart/form-data":
		return p, p.readMultipart(body, ctParams["boundary"])
	case "application/json":
		return p, p.readJSON(body)
	default:
		return p, p.readURLEncoded(body)
	}
}

func (p *params) readMultipart(body []byte, boundary string) *apiError {
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return badRequest("can't parse multipart body: " + err.Error())
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return badRequest("can't parse multipart body: " + err.Error())
		}
		name := part.FormName()
		if part.FileName() != "" {
			p.files[name] = File{Name: part.FileName(), ContentType: part.Header.Get("Content-Type"), Data: data}
			continue
		}
		if _, dup := p.values[name]; !dup {
			p.values[name] = string(data)
		}
	}
}

func (p *params) readJSON(body []byte) *apiError {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return badRequest("can't parse JSON object")
	}
	for k, raw := range obj {
		raw = bytes.TrimSpace(raw)
		switch {
		case bytes.Equal(raw, []byte("null")):
		case len(raw) > 0 && raw[0] == '"':
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return badRequest("can't parse JSON object")
			}
			p.values[k] = s
		default:
			// Numbers, booleans and nested objects keep their JSON text,
			// exactly what a form field would hold.
			p.values[k] = string(raw)
		}
	}
	return nil
}

func (p *params) readURLEncoded(body []byte) *apiError {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return badRequest("can't parse form body")
	}
	for k, v := range form {
		p.values[k] = v[0]
	}
	return nil
}

// int64 reads an integer parameter; absent reads as 0.
func (p params) int64(name string) (int64, bool) {
	v, ok := p.values[name]
	if !ok || v == "" {
		return 0, true
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return n, err == nil
}

func (p params) int(name string) (int, bool) {
	n, ok := p.int64(name)
	return int(n), ok
}

// bool reads a boolean parameter the way Telegram does: "true"/"1".
func (p params) bool(name string) bool {
	v := strings.ToLower(p.values[name])
	return v == "true" || v == "1"
}

// jsonValue decodes a parameter that carries a JSON object, such as
// reply_markup; absent leaves dst untouched.
func (p params) jsonValue(name string, dst any) *apiError {
	v, ok := p.values[name]
	if !ok || v == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(v), dst); err != nil {
		return badRequest("can't parse " + name + " JSON object")
	}
	return nil
}
