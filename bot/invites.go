package bot

// Invites instead of numeric ids: /invite 柯桥 [姓名] gives a one-time link
// https://t.me/<bot>?start=<code>; opening it (Telegram sends /start <code>)
// puts the opener on the roster, and the admin who invited is told.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"

	"tsbot/data"
)

const inviteUsage = "用法：/invite 区县 [姓名]，或 /invite viewer [姓名]，或 /invite admin [姓名]\n例如：/invite 柯桥 张三"

// SetBotUsername tells the handler the bot's username, which the channel
// learns when it connects: invite links name it.
func (h *Handler) SetBotUsername(name string) { h.botName.Store(name) }

func (h *Handler) botUsername() string {
	s, _ := h.botName.Load().(string)
	return s
}

// invite answers an admin's /invite.
func (h *Handler) invite(ctx context.Context, m Message, p data.Person, args []string) Reply {
	if p.Role != data.RoleAdmin {
		return Reply{Text: "只有市局管理员可以邀请人员。"}
	}
	if len(args) == 0 {
		return Reply{Text: inviteUsage}
	}
	who := data.Person{Name: strings.Join(args[1:], " ")}
	switch strings.ToLower(args[0]) {
	case "admin", "管理员":
		who.Role = data.RoleAdmin
	case "viewer", "只读", "查看":
		who.Role = data.RoleViewer
	default:
		co, ok := h.Campaign.County(args[0])
		if !ok {
			return Reply{Text: noSuchCounty(h.Campaign, args[0]) + "\n" + inviteUsage}
		}
		who.Role, who.County = data.RoleCounty, co.Name
	}
	if utf8.RuneCountInString(who.Name) > 50 || hasControl(who.Name) || data.HasBidiControl(who.Name) {
		return Reply{Text: "姓名太长或含有特殊字符。"}
	}
	inv, err := h.Store.CreateInvite(ctx, who, authorAs(m, p))
	if err != nil {
		return h.controlFailed(err)
	}
	h.Log.Info("invite made", slog.Int64("invite_id", inv.ID), slog.String("role", string(inv.Role)), slog.String("county", inv.County), slog.Int64("by", m.UserID))
	link := "邀请码：/start " + inv.Code + "\n（在 Telegram 里把链接发给本人）"
	if name := h.botUsername(); name != "" {
		link = fmt.Sprintf("https://t.me/%s?start=%s", name, inv.Code)
	}
	return Reply{Text: fmt.Sprintf("邀请链接（%s前有效，\n只能用一次）：\n%s\n用于：%s\n请把链接发给本人，打开即可登记。",
		inv.ExpiresAt.In(h.Campaign.Location).Format("1月2日 15:04"), link, invitee(who))}
}

// startInvite is /start <code>: whoever opens an invite link joins the
// roster as it says.
func (h *Handler) startInvite(ctx context.Context, m Message, code string) Reply {
	inv, p, err := h.Store.UseInvite(ctx, code, m.UserID, m.UserName)
	switch {
	case errors.Is(err, data.ErrInviteUnknown):
		return Reply{Text: "这个邀请链接无效。请向市局管理员要一个新的。"}
	case errors.Is(err, data.ErrInviteUsed):
		return Reply{Text: "这个邀请链接已经用过了。请向市局管理员要一个新的。"}
	case errors.Is(err, data.ErrInviteExpired):
		return Reply{Text: "这个邀请链接已过期（7天有效）。请向市局管理员要一个新的。"}
	case errors.Is(err, data.ErrOnRoster):
		return Reply{Text: "您已经登记过了，无需再用邀请链接。发 /whoami 查看身份。"}
	case err != nil:
		h.Log.Error("invite not used", slog.Int64("user_id", m.UserID), slog.Any("err", err))
		return Reply{Text: msgNotSaved}
	}
	h.Log.Info("invite used", slog.Int64("invite_id", inv.ID), slog.Int64("user_id", m.UserID))
	note := fmt.Sprintf("✅ 邀请已使用：%s\n（用户ID %d）已登记。", invitee(p), m.UserID)
	if err := h.notice(ctx, m.Channel, fmt.Sprintf("invite_used:%d", inv.ID), inv.CreatedBy, note); err != nil {
		h.Log.Error("invite use not announced", slog.Int64("invite_id", inv.ID), slog.Any("err", err))
	}
	return Reply{Text: fmt.Sprintf("欢迎，%s！已为您登记：\n%s\n\n%s", displayName(p, m), whoami(p, m), hint(p))}
}

// invitee says whom an invite is for: the role, the county, the name.
func invitee(p data.Person) string {
	s := p.Role.RoleName()
	if p.County != "" {
		s += " " + p.County
	}
	if p.Name != "" {
		s += " " + p.Name
	}
	return s
}
