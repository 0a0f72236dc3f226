package bot

// Confirming a county's lists (/confirm): first what would be submitted,
// with a button; only the press (or a typed 确认) signs off. An admin can
// take a sign-off back (/reopen 柯桥 原因), with the reason recorded.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"tsbot/bot/grammar"
	"tsbot/data"
)

// confirmOption marks a stored question as a /confirm preview: its options
// are confirmOption, the county and the lists' version shown.
const confirmOption = "confirm"

const (
	msgListsChanged = "名单在核对后有变动，未确认。请重新发 /confirm 核对。"
	msgNoPreview    = "没有待确认的名单。请先发 /confirm 核对。"
	reopenUsage     = "用法：/reopen 区县 原因\n例如：/reopen 柯桥 补报两家企业"
)

// confirmCounty is the county whose lists p may confirm with args, or the refusal.
func (h *Handler) confirmCounty(p data.Person, args []string) (string, string) {
	county, bad := h.countyArg(args)
	if bad != "" {
		return "", bad
	}
	switch p.Role {
	case data.RoleViewer:
		return "", msgViewer
	case data.RoleCounty:
		if county != "" && county != p.County {
			return "", fmt.Sprintf("您只能确认%s的名单。", p.County)
		}
		return p.County, ""
	}
	if county == "" {
		return "", "请写明区县，例如：/confirm 柯桥"
	}
	return county, ""
}

// confirm answers /confirm with what would be submitted and a button.
func (h *Handler) confirm(ctx context.Context, m Message, p data.Person, args []string) Reply {
	county, bad := h.confirmCounty(p, args)
	if bad != "" {
		return Reply{Text: bad}
	}
	if r, ok := h.alreadyConfirmed(ctx, county); ok {
		return r
	}
	sub, err := h.Store.Submission(ctx, h.Campaign, county)
	if err != nil {
		h.Log.Error("submission failed", slog.String("county", county), slog.Any("err", err))
		return Reply{Text: msgInternal}
	}
	text := previewText(h.Campaign, county, sub, h.Now())
	question := func(id int64) Reply {
		return Reply{Text: text, Buttons: []Button{{Label: "✅ 确认报送" + county + "名单", Data: "k:" + strconv.FormatInt(id, 10)}}}
	}
	c := data.Choice{UserID: m.UserID, ChatID: m.ChatID, MessageID: m.MessageID,
		Options: []string{confirmOption, county, strconv.FormatInt(sub.Version, 10)}}
	var a data.Answer
	var draft func(int64) data.Draft
	if d := m.once; d != nil {
		a = d.base(data.ReceiptAsked)
		draft = func(id int64) data.Draft { return d.draft(question(id)) }
	}
	id, err := h.Store.Ask(ctx, c, 0, a, draft)
	switch {
	case errors.Is(err, data.ErrHandled):
		return replayed()
	case err != nil:
		h.Log.Error("save confirm preview failed", slog.Int64("user_id", m.UserID), slog.Any("err", err))
		return Reply{Text: msgNotSaved, Retry: true}
	}
	if m.once != nil {
		m.once.answered = true
	}
	return question(id)
}

// alreadyConfirmed answers a /confirm of lists that stand confirmed.
func (h *Handler) alreadyConfirmed(ctx context.Context, county string) (Reply, bool) {
	confs, err := h.Store.Confirmations(ctx)
	if err != nil {
		h.Log.Error("confirmations failed", slog.Any("err", err))
		return Reply{Text: msgInternal}, true
	}
	c, ok := confs[county]
	if !ok {
		return Reply{}, false
	}
	c.UserName = h.rosterNames(ctx).Of(c.UserID, c.UserName)
	return Reply{Text: fmt.Sprintf("%s的名单已于%s由%s确认过，无需重复确认。", county,
		c.CreatedAt.In(h.Campaign.Location).Format("1月2日 15:04"), who(c.UserName, c.UserID))}, true
}

// previewText is what a confirmation would submit: the counts, named and
// unnamed, what the names lack, note 1 and the targets not met.
func previewText(c *data.Campaign, county string, sub data.Submission, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s 报送前核对（%s）\n", county, now.In(c.Location).Format("1月2日 15:04"))
	cult := []data.Indicator{data.Zone, data.ProvincialStation, data.CityStation}
	fmt.Fprintf(&b, "培育名单：具名%d个", sub.Named.Sum(cult...))
	if n := sub.Unnamed.Sum(cult...); n > 0 {
		fmt.Fprintf(&b, "，未具名%d个", n)
	}
	fmt.Fprintf(&b, "\n专项辅导名单：具名%d家", sub.Named[data.Tutoring])
	if n := sub.Unnamed[data.Tutoring]; n > 0 {
		fmt.Fprintf(&b, "，未具名%d家", n)
	}
	if len(sub.MissingDetails) > 0 {
		var parts []string
		for _, md := range sub.MissingDetails {
			parts = append(parts, fmt.Sprintf("%s缺%d家", detailShort[md.Field], md.Units))
		}
		fmt.Fprintf(&b, "\n⚠️ 信息不全（/detail 补充）：\n%s", strings.Join(parts, "，"))
	}
	var noteOne []string
	for _, l := range sub.NoteOne {
		if l.County == county {
			noteOne = append(noteOne, l.Name)
		}
	}
	if len(noteOne) > 0 {
		fmt.Fprintf(&b, "\n⚠️ %d个示范站不在辅导名单上：%s", len(noteOne), strings.Join(noteOne, "、"))
	}
	if !sub.Met() {
		b.WriteString("\n⚠️ 未达目标：")
		for _, ind := range data.Indicators {
			if g := sub.Gap[ind]; g > 0 {
				fmt.Fprintf(&b, "\n%s 还差%d%s", grammar.IndicatorLabel(ind), g, ind.Unit())
			}
		}
	}
	b.WriteString("\n确认后名单锁定，修改需市局管理员办理。\n无误请按下面的按钮，或回复：确认")
	return b.String()
}

// detailShort names the attributes a preview says are missing, short.
var detailShort = map[data.DetailField]string{data.DetailCreditCode: "信用代码", data.DetailContact: "联系人", data.DetailPhone: "电话"}

// typedConfirm reads a typed answer to a preview: 确认, 确认报送, or
// either with the county (确认 柯桥).
func (h *Handler) typedConfirm(text string) (county string, ok bool) {
	s := strings.Join(strings.Fields(data.FoldWidth(text)), "")
	s = strings.TrimRight(s, "。.!！")
	rest, found := strings.CutPrefix(s, "确认")
	if !found {
		return "", false
	}
	rest = strings.TrimPrefix(rest, "报送")
	if rest == "" {
		return "", true
	}
	rest = strings.TrimSuffix(rest, "名单")
	if co, ok := h.Campaign.County(rest); ok {
		return co.Name, true
	}
	return "", false
}

// confirmTyped is a typed 确认: it answers the sender's latest open preview
// in this chat.
func (h *Handler) confirmTyped(ctx context.Context, m Message, county string) Reply {
	p, err := h.person(ctx, m.UserID)
	if err != nil {
		return h.rosterReply(m, err)
	}
	if p.Role == data.RoleViewer {
		return Reply{Text: msgViewer}
	}
	cs, err := h.Store.OpenChoices(ctx, m.UserID, m.ChatID)
	if err != nil {
		h.Log.Error("open questions failed", slog.Int64("user_id", m.UserID), slog.Any("err", err))
		return Reply{Text: msgNotSaved, Retry: true}
	}
	for _, c := range cs {
		if isConfirmPreview(c) && (county == "" || c.Options[1] == county) {
			return h.confirmChoice(ctx, m, p, c)
		}
	}
	return Reply{Text: msgNoPreview}
}

func isConfirmPreview(c data.Choice) bool {
	return len(c.Options) == 3 && c.Options[0] == confirmOption
}

// confirmPress is a press of a preview's button.
func (h *Handler) confirmPress(ctx context.Context, m Message, p data.Person, id int64) Reply {
	c, err := h.Store.Choice(ctx, id)
	if errors.Is(err, data.ErrNotFound) || (err == nil && (!isConfirmPreview(c) || c.ChatID != m.ChatID)) {
		return Reply{Text: msgStaleButton}
	}
	if err != nil {
		h.Log.Error("load choice failed", slog.Int64("choice_id", id), slog.Any("err", err))
		return Reply{Text: msgInternal}
	}
	if c.UserID != m.UserID {
		return Reply{Text: "只有发 /confirm 的人可以按这个按钮。"}
	}
	if c.ClosedAt != nil {
		return Reply{Text: msgChoiceClosed, ClearKeyboard: true}
	}
	return h.confirmChoice(ctx, m, p, c)
}

// confirmChoice signs off the lists a preview showed, if they are still as shown.
func (h *Handler) confirmChoice(ctx context.Context, m Message, p data.Person, c data.Choice) Reply {
	county := c.Options[1]
	version, _ := strconv.ParseInt(c.Options[2], 10, 64)
	if version == 0 {
		return Reply{Text: msgStaleButton}
	}
	if county, bad := h.confirmCounty(p, []string{county}); bad != "" || county != c.Options[1] {
		return Reply{Text: bad}
	}
	sub, err := h.Store.Submission(ctx, h.Campaign, county)
	if err != nil {
		h.Log.Error("submission failed", slog.String("county", county), slog.Any("err", err))
		return Reply{Text: msgInternal}
	}
	m.Text = "/confirm " + county
	m.choice = c.ID
	reply := func(out data.Outcome) Reply {
		return Reply{Text: confirmedText(h.Campaign, county, out.Batch, sub), ClearKeyboard: true}
	}
	a := authorAs(m, p)
	a.Answer, a.Choice = m.once.answer(reply), c.ID
	conf, err := h.Store.Confirm(ctx, a, county, version)
	switch {
	case errors.Is(err, data.ErrAlreadyConfirmed):
		m.once.refused()
		if r, ok := h.alreadyConfirmed(ctx, county); ok {
			r.ClearKeyboard = true
			return r
		}
	case errors.Is(err, data.ErrListsChanged):
		m.once.refused()
		return Reply{Text: msgListsChanged, ClearKeyboard: true}
	}
	if r, failed := h.writeFailed(m, err); failed {
		return r
	}
	if m.once != nil {
		m.once.answered = true // Confirm stored the answer with its batch
	}
	return reply(data.Outcome{Batch: data.Batch{UserName: conf.UserName, UserID: conf.UserID, CreatedAt: conf.CreatedAt, Late: conf.Late}})
}

// confirmedText is the reply to a confirmation: what was submitted.
func confirmedText(c *data.Campaign, county string, conf data.Batch, sub data.Submission) string {
	var b strings.Builder
	late := ""
	if conf.Late {
		late = "，逾期"
	}
	cult := []data.Indicator{data.Zone, data.ProvincialStation, data.CityStation}
	fmt.Fprintf(&b, "✅ 已确认报送%s名单（%s，%s%s）。\n培育名单%d个，专项辅导名单%d家", county, who(conf.UserName, conf.UserID),
		conf.CreatedAt.In(c.Location).Format("1月2日 15:04"), late, sub.Named.Sum(cult...), sub.Named[data.Tutoring])
	if n := sub.Unnamed.Sum(); n > 0 {
		fmt.Fprintf(&b, "；另有%d个未具名", n)
	}
	b.WriteString("。\n此后" + county + "的修改需由市局管理员办理，并标为逾期。")
	return b.String()
}

// reopen answers an admin's /reopen 柯桥 原因: the county's sign-off is
// taken back, with the reason.
func (h *Handler) reopen(ctx context.Context, m Message, p data.Person, args []string) Reply {
	if p.Role != data.RoleAdmin {
		return Reply{Text: "只有市局管理员可以重新开放名单。"}
	}
	if len(args) == 0 {
		return Reply{Text: reopenUsage}
	}
	co, ok := h.Campaign.County(args[0])
	if !ok {
		return Reply{Text: noSuchCounty(h.Campaign, args[0]) + "\n" + reopenUsage}
	}
	reason := strings.TrimSpace(strings.Join(args[1:], " "))
	if reason == "" {
		return Reply{Text: "请写明原因，例如：/reopen " + co.Name + " 补报两家企业"}
	}
	if utf8.RuneCountInString(reason) > 200 || hasControl(reason) || data.HasBidiControl(reason) {
		return Reply{Text: "原因太长（最多200字）或含有特殊字符。"}
	}
	m.Text = "/reopen " + co.Name + " " + reason
	ro, err := h.Store.Reopen(ctx, authorAs(m, p), co.Name, reason)
	if errors.Is(err, data.ErrNotConfirmed) {
		m.once.refused()
		return Reply{Text: co.Name + "的名单尚未确认，无需重新开放。"}
	}
	if r, failed := h.writeFailed(m, err); failed {
		return r
	}
	h.Log.Info("lists reopened", slog.String("county", co.Name), slog.Int64("by", m.UserID), slog.Int64("confirmation_id", ro.ConfirmationID))
	text := fmt.Sprintf("↩️ 已重新开放%s的名单。\n原因：%s\n%s可修改名单，核对后再发 /confirm。", co.Name, reason, co.Name)
	if cl := h.Campaign.ListsClose(); !cl.IsZero() && !h.Now().Before(cl) {
		text += "\n（已过报送截止，修改仍需管理员办理）"
	}
	return Reply{Text: text}
}
