package data

import "errors"

// File is a file sent with a message: the /export spreadsheet, the picture
// of the progress.
type File struct {
	Name string
	Data []byte
}

// ErrUnreachable wraps a send that the chat refuses for good (Telegram's
// 403: the bot was blocked, or removed from the group; a channel that is
// off). A reminder to such a chat is recorded as skipped, not failed.
var ErrUnreachable = errors.New("chat refuses the bot")
