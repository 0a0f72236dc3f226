package bot

// Near-duplicates in chat: a name the ledger refused as the same firm as
// one listed (data.NameNear) becomes a question, "是同一家" (nothing is
// recorded) or "是另一家" (the message again, the name marked
// data.DistinctMark, which the ledger records without the near check); a
// firm recorded that is on another county's list is shown in the reply,
// and to the admin in /list.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"tsbot/bot/grammar"
	"tsbot/data"
)

// optSameFirm starts the option of a near-name question that records
// nothing; the names asked about follow, split by \x00. It starts with a
// control character, so no message is this option (Parse refuses them).
const optSameFirm = "\x00same\x00"

const (
	labelSameFirm  = "是同一家（不重复记录）"
	labelOtherFirm = "是另一家（照常记录）"
)

// askNear turns a NameNear refusal of message m into a question; false for
// any other error, and for an edit (whose refusal says how to mark the name).
func (h *Handler) askNear(ctx context.Context, m Message, err error, edited bool) (Reply, bool) {
	var ne *data.NameError
	if edited || !errors.As(err, &ne) || ne.Problem != data.NameNear || ne.Listed == nil {
		return Reply{}, false
	}
	marked, more, ok := markDistinct(h.Campaign, m.Text, ne.Name)
	if !ok {
		return Reply{}, false
	}
	l := *ne.Listed
	l.UserName = h.rosterNames(ctx).Of(l.UserID, l.UserName)
	flag := "0"
	if more {
		flag = "1"
	}
	amb := &grammar.Ambiguity{
		Question: fmt.Sprintf("%s%s名单上已有\n“%s”\n（%s %s记录）。\n“%s”是同一家吗？", ne.County, ne.Indicator.Name(), l.Name,
			who(l.UserName, l.UserID), l.CreatedAt.In(h.Campaign.Location).Format("1月2日 15:04"), ne.Name),
		Options: []string{optSameFirm + ne.Name + "\x00" + l.Name + "\x00" + flag, marked},
		Labels:  []string{labelSameFirm, labelOtherFirm},
	}
	return h.ask(ctx, m, amb, ""), true
}

// markDistinct is text with name marked as another firm, and whether the
// text records more than that one name. It tries each place the name is
// written (width folded), last first, and keeps the one the grammar reads back as the
// marked name: false when none does.
func markDistinct(c *data.Campaign, text, name string) (string, bool, bool) {
	text = data.FoldWidth(text) // as the grammar reads it, and the name with it
	want := data.FoldWidth(name + data.DistinctMark)
	for i := strings.LastIndex(text, name); i >= 0; i = strings.LastIndex(text[:i], name) {
		end := i + len(name)
		marked := text[:end] + data.DistinctMark + text[end:]
		p, err := grammar.Parse(marked, c)
		if err != nil {
			continue
		}
		found, n := false, 0
		for _, ch := range p.Changes {
			n += max(len(ch.Names), 1)
			for _, nm := range ch.Names {
				found = found || nm == want
			}
		}
		if found {
			return marked, n > 1, true
		}
	}
	return "", false, false
}

// sameFirm answers "是同一家": the question is closed and nothing recorded.
func (h *Handler) sameFirm(ctx context.Context, m Message, id int64, names string) Reply {
	parts := strings.Split(names, "\x00")
	if len(parts) != 3 {
		return m.refuse(Reply{Text: msgStaleButton})
	}
	text := fmt.Sprintf("未记录：“%s”\n就是名单上的“%s”，\n不重复计数。", parts[0], parts[1])
	if parts[2] == "1" {
		text += "\n这条消息的其他内容也未记录，\n请去掉这家后重发。"
	}
	r := Reply{Text: text, Replace: true}
	out, err := h.Store.Decline(ctx, id, m.once.answer(func(data.Outcome) Reply { return r }))
	switch {
	case errors.Is(err, data.ErrChoiceClosed):
		m.once.refused()
		return m.refuse(Reply{Text: msgChoiceClosed, ClearKeyboard: true})
	case err != nil:
		h.Log.Error("close choice failed", slog.Int64("choice_id", id), slog.Any("err", err))
		return Reply{Text: msgNotSaved, Retry: true}
	}
	m.once.wrote(out)
	return r
}

// elsewhereText is what a reply adds for the firms just recorded that are
// on another county's list too.
func elsewhereText(c *data.Campaign, es []data.Elsewhere) string {
	var b strings.Builder
	for i, e := range es {
		if i == 3 {
			fmt.Fprintf(&b, "\n……另有%d家也在其他区县名单上", len(es)-i)
			break
		}
		fmt.Fprintf(&b, "\n⚠️ %s%s名单上也有\n“%s”，请与市局核对。", e.Listed.County, e.Listed.Indicator.Name(), e.Listed.Name)
	}
	return b.String()
}

// crossCountyNote is, for the admin, the firms on more than one county's
// list (those of county, or all when county is "").
func (h *Handler) crossCountyNote(ctx context.Context, p data.Person, county string) string {
	if p.Role != data.RoleAdmin {
		return ""
	}
	all, err := h.Store.Names(ctx, "")
	if err != nil {
		h.Log.Error("names failed", slog.Any("err", err))
		return ""
	}
	var b strings.Builder
	n := 0
	for _, g := range data.CrossCounty(all) {
		in := county == ""
		for _, l := range g.Names {
			in = in || l.County == county
		}
		if !in {
			continue
		}
		if n++; n > listCapAll {
			continue
		}
		for i, l := range g.Names {
			lead := "   "
			if i == 0 {
				lead = fmt.Sprintf("%d. ", n)
			}
			b.WriteString("\n" + lead + l.County + "“" + l.Name + "”")
		}
	}
	if n == 0 {
		return ""
	}
	head := fmt.Sprintf("\n⚠️ 多区县重复的企业（%d家）：", n)
	if n > listCapAll {
		b.WriteString(fmt.Sprintf("\n……还有%d家未列出", n-listCapAll))
	}
	return head + b.String()
}
