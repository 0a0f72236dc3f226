package bot

// The contact person's hold on the reminders: /pause [until 日期],
// /resume, /skip 编号, and /remind 区县 [内容] to nudge a county now.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"tsbot/data"
)

// nudgeEvery is how often one county may be nudged by hand.
const nudgeEvery = time.Hour

const (
	pauseUsage  = "用法：/pause（直到 /resume），或 /pause until 9月25日"
	skipUsage   = "用法：/skip 编号（编号见 /reminders），例如：/skip 12"
	remindUsage = "用法：/remind 区县 [内容]，例如：/remind 柯桥 请今天报送辅导名单"
)

// remindctl answers /pause, /resume, /skip and /remind: admins only.
func (h *Handler) remindctl(ctx context.Context, m Message, p data.Person, name string, args []string) Reply {
	if h.Reminders == nil {
		return Reply{Text: "提醒未启用。"}
	}
	if p.Role != data.RoleAdmin {
		return Reply{Text: "只有市局管理员可以管理提醒。"}
	}
	c := data.ReminderControl{UserID: p.UserID, UserName: displayName(p, m)}
	loc := h.Campaign.Location
	now := h.Now()
	switch name {
	case "pause":
		c.Action = data.ControlPause
		text := "⏸ 定时提醒已暂停。\n恢复请发：/resume"
		if len(args) > 0 {
			s := strings.TrimPrefix(strings.Join(args, ""), "until")
			s = strings.TrimLeft(s, "至到:：")
			d, ok := data.ParseDetailDate(s, now.In(loc).Year())
			if !ok {
				return Reply{Text: pauseUsage}
			}
			until, _ := time.ParseInLocation("2006-01-02", d, loc)
			if !until.After(now) {
				return Reply{Text: "这个日期已经过了。" + pauseUsage}
			}
			c.Until = &until
			text = fmt.Sprintf("⏸ 定时提醒已暂停，%s起恢复。\n提前恢复请发：/resume", until.Format("1月2日"))
		}
		if err := h.Store.ControlReminders(ctx, c); err != nil {
			return h.controlFailed(err)
		}
		return Reply{Text: text + "\n暂停期间到期的提醒不再补发。"}
	case "resume":
		st, err := h.Store.ReminderState(ctx, now)
		if err != nil {
			return h.controlFailed(err)
		}
		if !st.Paused {
			return Reply{Text: "定时提醒没有暂停。"}
		}
		c.Action = data.ControlResume
		if err := h.Store.ControlReminders(ctx, c); err != nil {
			return h.controlFailed(err)
		}
		return Reply{Text: "▶️ 定时提醒已恢复。"}
	case "skip":
		if len(args) != 1 {
			return Reply{Text: skipUsage}
		}
		id, err := strconv.Atoi(strings.TrimPrefix(args[0], "#"))
		if err != nil || id <= 0 {
			return Reply{Text: skipUsage}
		}
		keys, line, ok := h.Reminders.Resolve(now, id)
		if !ok {
			return Reply{Text: fmt.Sprintf("没有编号%d的待发提醒。发 /reminders 查看编号。", id)}
		}
		for _, k := range keys {
			c.Action, c.Key = data.ControlSkip, k
			if err := h.Store.ControlReminders(ctx, c); err != nil {
				return h.controlFailed(err)
			}
		}
		return Reply{Text: "⏭ 已跳过：\n" + line}
	}
	return h.nudge(ctx, c, args)
}

// nudge is /remind 区县 [内容]: the county's chats get it now, at most
// once an hour per county.
func (h *Handler) nudge(ctx context.Context, c data.ReminderControl, args []string) Reply {
	if len(args) == 0 {
		return Reply{Text: remindUsage}
	}
	co, ok := h.Campaign.County(args[0])
	if !ok {
		return Reply{Text: noSuchCounty(h.Campaign, args[0]) + "\n" + remindUsage}
	}
	text := strings.TrimSpace(strings.Join(args[1:], " "))
	if utf8.RuneCountInString(text) > 500 || hasControl(text) || data.HasBidiControl(text) {
		return Reply{Text: "内容太长（最多500字）或含有特殊字符。"}
	}
	c.Key, c.Text = co.Name, text
	var soon *data.TooSoonError
	if err := h.Store.Nudge(ctx, c, nudgeEvery); errors.As(err, &soon) {
		return Reply{Text: fmt.Sprintf("%s已于%s提醒过，\n1小时内不再重复提醒。", co.Name, soon.Last.In(h.Campaign.Location).Format("15:04"))}
	} else if err != nil {
		return h.controlFailed(err)
	}
	n, err := h.Reminders.NudgeNow(ctx, co.Name, text)
	switch {
	case err != nil:
		h.Log.Error("nudge failed", slog.String("county", co.Name), slog.Any("err", err))
		return Reply{Text: "⚠️ 提醒未能发送，原因已记入日志。"}
	case n == 0:
		return Reply{Text: co.Name + "已完成全部目标，没有需要提醒的。\n要发别的内容请写：/remind " + co.Name + " 内容"}
	}
	return Reply{Text: fmt.Sprintf("📣 已提醒%s（%d个聊天）。", co.Name, n)}
}

func (h *Handler) controlFailed(err error) Reply {
	h.Log.Error("reminder control failed", slog.Any("err", err))
	return Reply{Text: msgNotSaved}
}

// reminderControls is what /reminders adds about a pause, and for an
// admin how to skip.
func (h *Handler) reminderControls(ctx context.Context, p data.Person) string {
	st, err := h.Store.ReminderState(ctx, h.Now())
	if err != nil {
		h.Log.Warn("reminder controls not read", slog.Any("err", err))
		return ""
	}
	var b strings.Builder
	switch {
	case st.Paused && st.PausedUntil.IsZero():
		b.WriteString("\n\n⏸ 已暂停，到期的不发送。恢复：/resume")
	case st.Paused:
		fmt.Fprintf(&b, "\n\n⏸ 已暂停，%s起恢复。", st.PausedUntil.In(h.Campaign.Location).Format("1月2日"))
	}
	if p.Role == data.RoleAdmin {
		b.WriteString("\n\n跳过一条：/skip 编号\n暂停：/pause 或 /pause until 9月25日")
	}
	return b.String()
}
