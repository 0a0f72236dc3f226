package bot

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"tsbot/data"
)

// ConsoleUser is the roster id the console speaks as when no --user is given
// and the roster has no admin. Telegram user ids are positive, so no phone
// can ever be this user.
const ConsoleUser int64 = -1

// Console is the console subcommand: it speaks as a roster user; by default the first admin, or a local
// console admin that no Telegram user can be.
func Console(ctx context.Context, h *Handler, userID int64, stdin io.Reader, stdout io.Writer) error {
	name := "控制台"
	if userID == 0 {
		people, err := h.Store.People(ctx)
		if err != nil {
			return err
		}
		for _, p := range people {
			if p.Role == data.RoleAdmin && p.UserID != ConsoleUser {
				userID, name = p.UserID, p.Name
				break
			}
		}
	}
	if userID == 0 {
		// The console admin is on the roster only while the console runs:
		// left there, it would be listed by /users and sent the digest
		// meant for the admins, at a chat that does not exist.
		userID = ConsoleUser
		if err := h.Store.SavePerson(ctx, data.Person{UserID: userID, Role: data.RoleAdmin, Name: name}); err != nil {
			return err
		}
		defer func() {
			if err := h.Store.ForceRemovePerson(context.WithoutCancel(ctx), userID); err != nil {
				h.Log.Warn("console: console admin left on the roster", slog.Int64("user_id", userID), slog.Any("err", err))
			}
		}()
	} else if p, err := h.Store.Person(ctx, userID); err != nil {
		return fmt.Errorf("console: user %d is not on the roster: %w", userID, err)
	} else if p.Name != "" {
		name = p.Name
	}
	fmt.Fprintf(stdout, "控制台模式：以用户 %d（%s）身份发消息，每行一条；Ctrl-D 退出。试试：柯桥 辅导企业 +3 或 /status\n\n", userID, name)
	return RunConsole(ctx, h, userID, name, stdin, stdout)
}

// RunConsole reads one message per line from in, as the given user in a
// private chat, and writes each reply to out: the same Handle that Telegram uses.
func RunConsole(ctx context.Context, h *Handler, userID int64, userName string, in io.Reader, out io.Writer) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	var id int64
	var buttons []Button // of the last reply: typing "1" presses the first
	for sc.Scan() {
		if ctx.Err() != nil {
			return nil
		}
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		id++
		var r Reply
		if n, err := strconv.Atoi(line); err == nil && n >= 1 && n <= len(buttons) {
			r = h.HandlePress(ctx, Press{UserID: userID, UserName: userName, ChatID: userID, MessageID: id - 1, Data: buttons[n-1].Data})
		} else {
			r = h.Handle(ctx, Message{UserID: userID, UserName: userName, ChatID: userID, MessageID: id, Text: line})
		}
		buttons = r.Buttons
		if err := writeConsoleReply(out, r); err != nil {
			return fmt.Errorf("console: %w", err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("console: read: %w", err)
	}
	return nil
}

func writeConsoleReply(out io.Writer, r Reply) error {
	if r.Text == "" {
		_, err := fmt.Fprintln(out, "（无回复）")
		return err
	}
	text := strings.TrimRight(r.Text, "\n")
	if len(r.Buttons) > 0 {
		labels := make([]string, len(r.Buttons))
		for i, b := range r.Buttons {
			labels[i] = fmt.Sprintf("[%d] %s", i+1, b.Label)
		}
		text += "\n按钮（输入序号即按下）：" + strings.Join(labels, "  ")
	}
	if d := r.Document; d != nil {
		text += "\n" + saveDocument(d)
	}
	if d := r.Photo; d != nil {
		text += "\n" + saveDocument(d)
	}
	_, err := fmt.Fprintln(out, text+"\n")
	return err
}

// saveDocument writes a document of a reply to the current directory and
// says where.
func saveDocument(d *Document) string {
	name := filepath.Base(d.Name)
	if name == "." || name == string(filepath.Separator) {
		name = "tsbot-document"
	}
	if err := os.WriteFile(name, d.Data, 0o644); err != nil {
		return fmt.Sprintf("（文件 %s 未能保存：%v）", name, err)
	}
	if abs, err := filepath.Abs(name); err == nil {
		name = abs
	}
	return fmt.Sprintf("（文件已保存：%s）", name)
}
