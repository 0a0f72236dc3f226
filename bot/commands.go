package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"unicode/utf8"

	"tsbot/data"
)

// Command is one chat command, for /help and the phone's command menu.
// Admin: for admins only; Writes: changes the ledger or the lists, so not
// for viewers; Group: in the short menu of a group chat.
type Command struct {
	Name, Args, About    string
	Admin, Writes, Group bool
}

// Commands lists what staff can type, in the order /help shows them.
var Commands = []Command{
	{Name: "status", Args: "[区县]", About: "查看进度：全市或一个区县", Group: true},
	{Name: "targets", About: "查看各区县目标任务", Group: true},
	{Name: "history", Args: "[区县]", About: "最近的填报记录", Group: true},
	{Name: "undo", About: "撤销您最近一次填报", Writes: true, Group: true},
	{Name: "list", Args: "[区县] [指标]", About: "查看培育名单和专项辅导名单", Group: true},
	{Name: "export", Args: "[区县]", About: "下载名单表格（Excel）"},
	{Name: "template", Args: "[区县]", About: "下载填报模板（Excel），填好发回即可导入", Writes: true},
	{Name: "chart", About: "各区县进度图（图片）", Group: true},
	{Name: "detail", Args: "名称 信用代码 … 联系人 … 电话 …", About: "补充名单上单位的信用代码、联系人等信息", Writes: true},
	{Name: "confirm", About: "核对无误后确认报送本区县名单", Writes: true},
	{Name: "whoami", About: "我的身份和权限"},
	{Name: "help", About: "填报格式说明", Group: true},
	{Name: "start", About: "开始使用"},
	{Name: "reopen", Args: "区县 原因", About: "重新开放已确认的名单", Admin: true},
	{Name: "chatid", About: "本聊天的ID"},
	{Name: "bind", Args: "区县", About: "在群里发：该区县的提醒发到本群", Admin: true},
	{Name: "unbind", About: "解除本群与区县的绑定", Admin: true},
	{Name: "invite", Args: "区县|admin|viewer [姓名]", About: "生成一次性邀请链接", Admin: true},
	{Name: "users", About: "查看名单", Admin: true},
	{Name: "adduser", Args: "用户ID 区县|admin|viewer [姓名]", About: "添加人员", Admin: true},
	{Name: "removeuser", Args: "用户ID", About: "移除人员", Admin: true},
	{Name: "reminders", About: "接下来的提醒"},
	{Name: "remindnow", About: "立即把全市进度发给联系人", Admin: true},
	{Name: "remind", Args: "区县 [内容]", About: "立即提醒一个区县", Admin: true},
	{Name: "pause", Args: "[until 日期]", About: "暂停定时提醒", Admin: true},
	{Name: "resume", About: "恢复定时提醒", Admin: true},
	{Name: "skip", Args: "编号", About: "跳过一条提醒（编号见 /reminders）", Admin: true},
}

// dtPrefix marks a DingTalk staff id in /adduser and /removeuser.
const dtPrefix = "dt:"

// Menu is what a role may use, in /help's order: an admin everything,
// county staff all but the admins' commands, a viewer only what reads.
func Menu(role data.Role) []Command {
	var out []Command
	for _, c := range Commands {
		switch {
		case role == data.RoleAdmin:
		case c.Admin:
			continue
		case c.Writes && role != data.RoleCounty:
			continue
		}
		out = append(out, c)
	}
	return out
}

// GroupMenu is the short menu of a group chat: what is useful in front of
// everyone.
func GroupMenu() []Command {
	var out []Command
	for _, c := range Commands {
		if c.Group {
			out = append(out, c)
		}
	}
	return out
}

// command dispatches a message starting with "/".
func (h *Handler) command(ctx context.Context, m Message, text string) Reply {
	fields := strings.Fields(data.FoldWidth(text))
	name := strings.ToLower(strings.TrimPrefix(fields[0], "/"))
	if at := strings.IndexByte(name, '@'); at >= 0 {
		name = name[:at] // /status@ShaoxingBot in a group
	}
	args := fields[1:]
	if name == "start" && len(args) == 1 && !m.Group {
		return h.startInvite(ctx, m, args[0]) // an invite link opened
	}
	p, err := h.person(ctx, m.UserID)
	if err != nil {
		return h.rosterReply(m, err)
	}
	switch name {
	case "start":
		return Reply{Text: fmt.Sprintf("您好，%s！\n%s\n\n%s", displayName(p, m), whoami(p, m), hint(p))}
	case "help":
		return Reply{Text: help(p)}
	case "whoami":
		return Reply{Text: whoami(p, m)}
	case "status", "progress":
		county, bad := h.countyArg(args)
		if bad != "" {
			return Reply{Text: bad}
		}
		return h.status(ctx, county)
	case "targets":
		return Reply{Text: targetsText(h.Campaign)}
	case "history":
		county, bad := h.countyArg(args)
		if bad != "" {
			return Reply{Text: bad}
		}
		return h.history(ctx, county)
	case "undo":
		m.Text = text
		return h.undo(ctx, m, p, 0)
	case "list", "lists":
		return h.lists(ctx, p, args)
	case "export":
		return h.export(ctx, m, p, args)
	case "template":
		return h.template(ctx, m, p, args)
	case "chart":
		return h.chart(ctx, m)
	case "detail", "details":
		return h.detail(ctx, m, p, text)
	case "confirm":
		return h.confirm(ctx, m, p, args)
	case "bind", "unbind", "chatid":
		return h.groups(ctx, m, p, name, args)
	case "reopen":
		return h.reopen(ctx, m, p, args)
	case "invite":
		return h.invite(ctx, m, p, args)
	case "users", "adduser", "removeuser":
		if p.Role != data.RoleAdmin {
			return Reply{Text: "只有市局管理员可以管理名单。"}
		}
		return h.roster(ctx, m, name, args)
	case "reminders", "remindnow":
		return h.reminders(ctx, p, name)
	case "remind", "pause", "resume", "skip":
		return h.remindctl(ctx, m, p, name, args)
	}
	// In a group, a command this bot does not know is another bot's
	// (/start and /help reach every bot), unless it named this one.
	return h.quiet(m, "没有这个命令。发 /help 查看可用命令。")
}

func displayName(p data.Person, m Message) string {
	if p.Name != "" {
		return p.Name
	}
	if m.UserName != "" {
		return m.UserName
	}
	return strconv.FormatInt(p.UserID, 10)
}

func whoami(p data.Person, m Message) string {
	s := fmt.Sprintf("用户ID %d，身份：%s", p.UserID, p.Role.RoleName())
	if p.Role == data.RoleCounty {
		s += "（" + p.County + "）"
	}
	return s
}

// hint is the format reminder shown to whoever sends something the bot cannot read.
func hint(p data.Person) string {
	switch p.Role {
	case data.RoleViewer:
		return "查询进度请发：进度 或 柯桥 进度"
	case data.RoleCounty:
		c := p.County
		return fmt.Sprintf("填报请这样写：\n%s 辅导企业 +3（新增3家）\n%s 市县级示范站 =5（累计共5个）\n查询：进度 或 /status %s\n写错了：/undo 撤销", c, c, c)
	}
	return "填报请这样写：\n柯桥 辅导企业 +3（新增3家）\n柯桥 市县级示范站 =5（累计共5个）\n查询：进度 或 /status 柯桥\n写错了：/undo 撤销"
}

func help(p data.Person) string {
	var b strings.Builder
	b.WriteString(hint(p))
	b.WriteString("\n\n指标：示范区、省级示范站、市县级示范站、辅导企业\n一条消息可写多行，每行一项；数字可写 +3、加3、新增三家、=12、累计12家。\n\n命令：")
	for _, c := range Menu(p.Role) {
		b.WriteString("\n/" + c.Name)
		if c.Args != "" {
			b.WriteString(" " + c.Args)
		}
		b.WriteString(" " + c.About)
	}
	return b.String()
}

// countyArg reads an optional county argument.
func (h *Handler) countyArg(args []string) (county string, bad string) {
	if len(args) == 0 {
		return "", ""
	}
	name := strings.Join(args, "")
	if co, ok := h.Campaign.County(name); ok {
		return co.Name, ""
	}
	return "", noSuchCounty(h.Campaign, name)
}

func noSuchCounty(c *data.Campaign, name string) string {
	names := make([]string, len(c.Counties))
	for i, co := range c.Counties {
		names[i] = co.Name
	}
	return fmt.Sprintf("没有“%s”这个区县。可选：%s", name, strings.Join(names, "、"))
}

func (h *Handler) status(ctx context.Context, county string) Reply {
	done, err := h.Store.Totals(ctx)
	if err != nil {
		h.Log.Error("totals failed", slog.Any("err", err))
		return Reply{Text: msgInternal}
	}
	now := h.Now()
	if county == "" {
		return Reply{Text: cityStatus(h.Campaign, done, now)}
	}
	return h.withNoteOne(ctx, Reply{Text: countyStatus(h.Campaign, county, done[county], now)}, county)
}

func (h *Handler) history(ctx context.Context, county string) Reply {
	entries, err := h.Store.History(ctx, county, historySize)
	if err != nil {
		h.Log.Error("history failed", slog.Any("err", err))
		return Reply{Text: msgInternal}
	}
	h.rosterNames(ctx).Entries(entries)
	return Reply{Text: historyText(h.Campaign, county, entries)}
}

// The refusals of data.ErrLastAdmin: the roster keeps at least one admin.
const (
	msgLastAdmin       = "不能移除最后一名管理员。请先添加另一位管理员。"
	msgLastAdminDemote = "不能降低最后一名管理员的权限。请先添加另一位管理员。"
)

// roster handles the admin's roster commands.
func (h *Handler) roster(ctx context.Context, m Message, name string, args []string) Reply {
	const addUsage = "用法：/adduser 用户ID 区县 [姓名]，或 /adduser 用户ID admin，或 /adduser 用户ID viewer [姓名]\n例如：/adduser 123456789 柯桥 张三\n钉钉用户：/adduser dt:员工ID 柯桥 张三"
	switch name {
	case "users":
		people, err := h.Store.People(ctx)
		if err != nil {
			h.Log.Error("roster list failed", slog.Any("err", err))
			return Reply{Text: msgInternal}
		}
		return Reply{Text: rosterText(people)}
	case "removeuser":
		if len(args) != 1 {
			return Reply{Text: "用法：/removeuser 用户ID"}
		}
		id, err := strconv.ParseInt(args[0], 10, 64)
		if staff, ok := strings.CutPrefix(args[0], dtPrefix); ok {
			// Someone on DingTalk: by staff id.
			q, lerr := h.Store.PersonByDingTalk(ctx, staff)
			if lerr != nil {
				return Reply{Text: fmt.Sprintf("名单里没有钉钉员工ID %s。", staff)}
			}
			id, err = q.UserID, nil
		}
		if err != nil || (id <= 0 && id > data.FirstDingTalkUserID) {
			return Reply{Text: "用户ID应是一串数字（钉钉用户：dt:员工ID）。用法：/removeuser 用户ID"}
		}
		if id == m.UserID {
			return Reply{Text: "不能移除自己。"}
		}
		err = h.Store.RemovePerson(ctx, id)
		if errors.Is(err, data.ErrNotFound) {
			return Reply{Text: fmt.Sprintf("名单里没有用户 %d。", id)}
		}
		if errors.Is(err, data.ErrLastAdmin) {
			return Reply{Text: msgLastAdmin}
		}
		if err != nil {
			h.Log.Error("roster remove failed", slog.Any("err", err))
			return Reply{Text: msgNotSaved}
		}
		h.Log.Info("roster: removed", slog.Int64("user_id", id), slog.Int64("by", m.UserID))
		return Reply{Text: fmt.Sprintf("已移除用户 %d。", id), RosterChanged: true}
	}
	if len(args) < 2 {
		return Reply{Text: addUsage}
	}
	staff, onDingTalk := strings.CutPrefix(args[0], dtPrefix)
	var id int64
	if onDingTalk {
		if !data.ValidStaffID(staff) {
			return Reply{Text: "钉钉员工ID只含字母、数字和 - _ . 。\n" + addUsage}
		}
		if q, err := h.Store.PersonByDingTalk(ctx, staff); err == nil {
			id = q.UserID
		}
	} else {
		var err error
		id, err = strconv.ParseInt(args[0], 10, 64)
		if err != nil || id <= 0 {
			return Reply{Text: "用户ID应是一串数字。\n" + addUsage}
		}
	}
	p := data.Person{UserID: id, Name: strings.Join(args[2:], " ")}
	if onDingTalk {
		p.DingTalkID = &staff
	}
	switch strings.ToLower(args[1]) {
	case "admin", "管理员":
		p.Role = data.RoleAdmin
	case "viewer", "只读", "查看":
		p.Role = data.RoleViewer
	default:
		co, ok := h.Campaign.County(args[1])
		if !ok {
			return Reply{Text: noSuchCounty(h.Campaign, args[1]) + "\n" + addUsage}
		}
		p.Role, p.County = data.RoleCounty, co.Name
	}
	if id == m.UserID && p.Role != data.RoleAdmin {
		// The last admin demoting themselves would leave no one to undo it.
		return Reply{Text: "不能降低自己的权限。请另一位管理员操作。"}
	}
	if data.HasBidiControl(p.Name) {
		return Reply{Text: "姓名里有改变文字方向的隐藏字符，显示的可能和实际不一样。请手动输入姓名，例如：/adduser 123456789 柯桥 张三"}
	}
	if utf8.RuneCountInString(p.Name) > 50 || hasControl(p.Name) {
		return Reply{Text: "姓名太长或含有特殊字符。"}
	}
	save := func() error { return h.Store.SavePerson(ctx, p) }
	if onDingTalk {
		save = func() (err error) { p, err = h.Store.SaveDingTalkPerson(ctx, p); return err }
	}
	if err := save(); errors.Is(err, data.ErrLastAdmin) {
		return Reply{Text: msgLastAdminDemote}
	} else if err != nil {
		h.Log.Error("roster save failed", slog.Any("err", err))
		return Reply{Text: msgNotSaved}
	}
	h.Log.Info("roster: saved", slog.Int64("user_id", p.UserID), slog.String("role", string(p.Role)), slog.String("county", p.County), slog.Int64("by", m.UserID))
	return Reply{Text: fmt.Sprintf("已添加：%s", personLine(p)), RosterChanged: true}
}

// reminders answers /reminders (what is scheduled next) and /remindnow (the
// contact person's digest, now; admins only).
func (h *Handler) reminders(ctx context.Context, p data.Person, name string) Reply {
	if h.Reminders == nil {
		return Reply{Text: "提醒未启用。"}
	}
	if name == "reminders" {
		lines := h.Reminders.Upcoming(ctx, h.Now(), 5)
		text := "没有待发的提醒。"
		if len(lines) > 0 {
			text = "接下来的提醒：\n" + strings.Join(lines, "\n")
		}
		return Reply{Text: text + h.reminderControls(ctx, p) + h.failedReminders(ctx)}
	}
	if p.Role != data.RoleAdmin {
		return Reply{Text: "只有市局管理员可以立即发送提醒。"}
	}
	n, err := h.Reminders.SendDigestNow(ctx)
	if err != nil {
		h.Log.Error("remindnow failed", slog.Int64("user_id", p.UserID), slog.Any("err", err))
		return Reply{Text: "⚠️ 提醒未能发送，原因已记入日志。"}
	}
	if n == 0 {
		return Reply{Text: "这一分钟内已发送过，未重复发送。"}
	}
	return Reply{Text: fmt.Sprintf("已把全市进度发给联系人（%d个聊天）。", n)}
}

// failedReminders lists the last reminders that could not be sent after
// every retry, so the contact person can follow up by hand.
func (h *Handler) failedReminders(ctx context.Context) string {
	rows, err := h.Store.SentReminders(ctx, "")
	if err != nil {
		h.Log.Error("sent reminders failed", slog.Any("err", err))
		return ""
	}
	var failed []string
	for _, r := range rows {
		if r.Status == data.ReminderFailed {
			failed = append(failed, fmt.Sprintf("%s %s → 聊天%d", r.At.In(h.Campaign.Location).Format("1月2日15:04"), r.Key, r.ChatID))
		}
	}
	if len(failed) == 0 {
		return ""
	}
	const most = 5
	head := fmt.Sprintf("\n\n⚠️ %d条提醒多次重试后仍未送达（原因见日志）：", len(failed))
	return head + "\n" + strings.Join(failed[max(0, len(failed)-most):], "\n")
}
