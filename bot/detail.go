package bot

// /detail: the attributes of a name on the lists, the columns the province
// checks besides the name (信用代码, 联系人, 电话, 地址, 辅导日期 …):
//
//	/detail 乙领带有限公司 信用代码 91330683… 联系人 张三 电话 13800000000 日期 9月12日 方式 上门辅导
//	/detail 嵊州 乙领带有限公司 地址 嵊州市经济开发区…   (the county, where the name is on two)
//	/detail 乙领带有限公司                             (what is recorded)

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"unicode"

	"tsbot/data"
)

// detailWords are the key words of /detail, longest first where one begins
// another (联系电话 before 联系人 is no matter, 信用代码 before 代码 is).
var detailWords = []struct {
	word  string
	field data.DetailField
}{
	{"统一社会信用代码", data.DetailCreditCode}, {"社会信用代码", data.DetailCreditCode}, {"信用代码", data.DetailCreditCode}, {"代码", data.DetailCreditCode},
	{"企业类型", data.DetailKind}, {"类型", data.DetailKind},
	{"单位地址", data.DetailAddress}, {"地址", data.DetailAddress},
	{"联系人", data.DetailContact},
	{"联系电话", data.DetailPhone}, {"电话", data.DetailPhone}, {"手机", data.DetailPhone},
	{"辅导日期", data.DetailDate}, {"日期", data.DetailDate},
	{"辅导方式", data.DetailMethod}, {"方式", data.DetailMethod},
	{"备注", data.DetailNote},
}

const detailUsage = "用法：/detail 名称 信用代码 … 联系人 … 电话 … 地址 … 日期 … 方式 …\n" +
	"例如：/detail 乙领带有限公司 信用代码 913306837… 联系人 张三 电话 13800000000 日期 9月12日 方式 上门辅导\n" +
	"可写：信用代码、类型、地址、联系人、电话、日期、方式、备注；只写名称可查看已填信息。"

// detailRequest is what a /detail message says.
type detailRequest struct {
	county string // "" when not written
	name   string
	values []data.DetailValue // as typed, not yet checked
}

// detailWord reports whether tok begins with a key word, and the value
// glued to it (联系人张三, 电话：138…).
func detailWord(tok string) (data.DetailField, string, bool) {
	for _, w := range detailWords {
		if rest, ok := strings.CutPrefix(tok, w.word); ok {
			return w.field, strings.TrimLeft(rest, ":：="), true
		}
	}
	return 0, "", false
}

// parseDetail reads the text after /detail: an optional county, the name
// (which may hold spaces), then key words each followed by its value (which
// may hold spaces too: an address). bad is the refusal, in Chinese.
func parseDetail(c *data.Campaign, text string) (r detailRequest, bad string) {
	toks := strings.Fields(data.FoldWidth(text))
	if len(toks) > 1 {
		if co, ok := c.County(toks[0]); ok {
			r.county, toks = co.Name, toks[1:]
		}
	}
	var name []string
	seen := map[data.DetailField]bool{}
	cur := -1
	for i, tok := range toks {
		if f, rest, ok := detailWord(tok); ok && i > 0 {
			if seen[f] {
				return detailRequest{}, fmt.Sprintf("%s写了两次，请只写一次。", f.Label())
			}
			seen[f] = true
			r.values = append(r.values, data.DetailValue{Field: f, Value: rest})
			cur = len(r.values) - 1
			continue
		}
		if cur < 0 {
			name = append(name, tok)
			continue
		}
		v := &r.values[cur].Value
		if *v != "" {
			*v += " "
		}
		*v += tok
	}
	r.name = strings.Join(name, " ")
	if r.name == "" {
		return detailRequest{}, detailUsage
	}
	for _, v := range r.values {
		if v.Value == "" {
			return detailRequest{}, fmt.Sprintf("%s后面没有写内容。\n%s", v.Field.Label(), detailUsage)
		}
	}
	return r, ""
}

// detail answers /detail: it records the attributes of a name on the lists,
// or shows them when none are given.
func (h *Handler) detail(ctx context.Context, m Message, p data.Person, text string) Reply {
	text = strings.TrimSpace(text)
	rest := ""
	if i := strings.IndexFunc(text, unicode.IsSpace); i >= 0 {
		rest = text[i:] // after /detail
	}
	req, bad := parseDetail(h.Campaign, rest)
	if bad != "" {
		return Reply{Text: bad}
	}
	writing := len(req.values) > 0
	if writing && p.Role == data.RoleViewer {
		return Reply{Text: msgViewer}
	}
	county := req.county
	if p.Role == data.RoleCounty {
		if county != "" && county != p.County {
			return Reply{Text: fmt.Sprintf("您只能填写%s名单的信息，不能填写%s。", p.County, county)}
		}
		county = p.County
	}
	names, err := h.Store.Names(ctx, county)
	if err != nil {
		h.Log.Error("names failed", slog.Any("err", err))
		return Reply{Text: msgInternal}
	}
	listed, bad := findListed(names, county, req.name)
	if bad != "" {
		return Reply{Text: bad}
	}
	all, err := h.Store.Details(ctx, listed.County)
	if err != nil {
		h.Log.Error("details failed", slog.Any("err", err))
		return Reply{Text: msgInternal}
	}
	unit := data.UnitOf(listed)
	before := all[unit]
	if !writing {
		return Reply{Text: detailsText(h, listed, before)}
	}
	year := h.Now().In(h.Campaign.Location).Year()
	if !h.Campaign.ListsDue.IsZero() {
		year = h.Campaign.ListsDue.Year()
	}
	values := make([]data.DetailValue, len(req.values))
	for i, v := range req.values {
		clean, err := data.CleanDetail(v.Field, v.Value, year)
		var de *data.DetailError
		if errors.As(err, &de) {
			return Reply{Text: fmt.Sprintf("未记录：%s“%s”%s。", de.Field.Label(), clip(strings.Map(printable, de.Value), 30), de.Reason)}
		}
		if err != nil {
			h.Log.Error("detail check failed", slog.Any("err", err))
			return Reply{Text: msgInternal}
		}
		values[i] = data.DetailValue{Field: v.Field, Value: clean}
	}
	after := before
	for _, v := range values {
		after.Values[v.Field] = v.Value
	}
	m.Text = text
	reply := func(out data.Outcome) Reply {
		return Reply{Text: detailRecordedText(listed, values, after, out.Batch.Late)}
	}
	a := authorAs(m, p)
	a.Answer = m.once.answer(reply)
	out, err := h.Store.AddDetails(ctx, a, listed.County, listed.Name, values)
	if errors.Is(err, data.ErrNameNotListed) {
		m.once.refused()
		return Reply{Text: fmt.Sprintf("未记录：“%s”已不在%s的名单上。", listed.Name, listed.County)}
	}
	if r, failed := h.writeFailed(m, err); failed {
		return r
	}
	m.once.wrote(out)
	return reply(out)
}

// findListed finds name on the lists of county ("" for any county). A name
// on two counties' lists needs the county written.
func findListed(names []data.Listed, county, name string) (data.Listed, string) {
	norm := data.NormalizeName(name)
	var found []data.Listed
	seen := map[string]bool{}
	for _, l := range names {
		if (county == "" || l.County == county) && data.NormalizeName(l.Name) == norm && !seen[l.County] {
			seen[l.County] = true
			found = append(found, l)
		}
	}
	switch len(found) {
	case 0:
		where := "名单"
		if county != "" {
			where = county + "的名单"
		}
		return data.Listed{}, fmt.Sprintf("%s上没有“%s”。请先填报，例如：辅导企业 +1 %s；发 /list 查看名单。", where, clip(strings.Map(printable, name), 30), clip(strings.Map(printable, name), 30))
	case 1:
		return found[0], ""
	}
	cs := make([]string, len(found))
	for i, l := range found {
		cs[i] = l.County
	}
	return data.Listed{}, fmt.Sprintf("“%s”在%s的名单上都有，请写明区县，例如：/detail %s %s …", found[0].Name, strings.Join(cs, "、"), cs[0], found[0].Name)
}

// detailLines are the recorded attributes, one a line.
func detailLines(d data.Details) []string {
	var out []string
	for _, f := range data.DetailFields {
		if v := d.Get(f); v != "" {
			out = append(out, f.Label()+"："+v)
		}
	}
	return out
}

// stillMissing names the columns of the 名单 still empty.
func stillMissing(d data.Details) string {
	var out []string
	for _, f := range []data.DetailField{data.DetailCreditCode, data.DetailAddress, data.DetailContact, data.DetailPhone, data.DetailDate, data.DetailMethod} {
		if d.Get(f) == "" {
			out = append(out, f.Label())
		}
	}
	return strings.Join(out, "、")
}

func detailRecordedText(l data.Listed, values []data.DetailValue, after data.Details, late bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "✅ 已记录 %s %s：", l.County, l.Name)
	for _, v := range values {
		fmt.Fprintf(&b, "\n%s：%s", v.Field.Label(), v.Value)
	}
	if late {
		b.WriteString("\n（名单已确认或已截止，标为逾期）")
	}
	if m := stillMissing(after); m != "" {
		b.WriteString("\n还可补充：" + m)
	}
	return b.String()
}

func detailsText(h *Handler, l data.Listed, d data.Details) string {
	lines := detailLines(d)
	if len(lines) == 0 {
		return fmt.Sprintf("%s %s 还没有填写信息。\n%s", l.County, l.Name, detailUsage)
	}
	name := h.rosterNames(context.Background()).Of(d.UserID, d.UserName)
	return fmt.Sprintf("%s %s\n%s\n（%s %s更新）", l.County, l.Name, strings.Join(lines, "\n"),
		who(name, d.UserID), d.UpdatedAt.In(h.Campaign.Location).Format("1月2日 15:04"))
}
