package bot

// The lists due on 30 September in chat: /list, /confirm, /export, the
// note-1 button that puts a named station on the tutoring list, and the
// replies to a change refused because of its names or a closed list.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"tsbot/bot/grammar"
	"tsbot/data"
	"tsbot/data/export"
)

// Document is a file the bot sends with its reply (sendDocument on Telegram).
type Document = data.File

const (
	listCapAll  = 8  // names shown per indicator when a county's whole list is asked for
	listCapOne  = 30 // names shown when one indicator is asked for
	noteButtons = 5  // most "加入辅导名单" buttons in one reply
)

// authorAs is the author of a write by p: an admin may still change a
// county after its lists closed. The name written with the batch is the
// roster's, when p has one: the lists and the export are official
// documents, and a Telegram display name may be a nickname.
func authorAs(m Message, p data.Person) data.Author {
	a := author(m)
	a.Admin = p.Role == data.RoleAdmin
	if p.Name != "" {
		a.Name = p.Name
	}
	return a
}

// rosterNames are the roster's names, to show on records written before an
// author's roster name was known. A failed look-up is logged, and the names
// as written are shown.
func (h *Handler) rosterNames(ctx context.Context) data.RosterNames {
	n, err := h.Store.RosterNames(ctx)
	if err != nil {
		h.Log.Warn("roster names failed", slog.Any("err", err))
	}
	return n
}

// listFailed explains a change refused because of its names, or because the
// county's lists are closed.
func (h *Handler) listFailed(err error) (Reply, bool) {
	var ne *data.NameError
	var ce *data.ClosedError
	switch {
	case errors.As(err, &ne):
		if l := ne.Listed; l != nil {
			l.UserName = h.rosterNames(context.Background()).Of(l.UserID, l.UserName)
		}
		return Reply{Text: "未记录：" + nameErrorText(h.Campaign, ne)}, true
	case errors.As(err, &ce):
		if c := ce.Confirmed; c != nil {
			c.UserName = h.rosterNames(context.Background()).Of(c.UserID, c.UserName)
		}
		return Reply{Text: "未改动：" + h.closedText(ce)}, true
	case errors.Is(err, data.ErrAlreadyConfirmed):
		return Reply{Text: "名单已确认过，无需重复确认。"}, true
	}
	return Reply{}, false
}

func nameErrorText(c *data.Campaign, e *data.NameError) string {
	list := e.County + e.Indicator.Name() + "名单"
	unit := e.Indicator.Unit()
	switch e.Problem {
	case data.NameDuplicate:
		s := fmt.Sprintf("“%s”已在%s上", e.Name, list)
		if l := e.Listed; l != nil {
			s += fmt.Sprintf("（%s %s记录", who(l.UserName, l.UserID), l.CreatedAt.In(c.Location).Format("1月2日 15:04"))
			if l.Name != e.Name {
				s += "，写作“" + l.Name + "”"
			}
			s += "）"
		}
		return s + "，不能重复计数。"
	case data.NameRepeated:
		return fmt.Sprintf("“%s”在这条消息里写了两次。", e.Name)
	case data.NameNotListed:
		return fmt.Sprintf("%s上没有“%s”，无法减去。发 /list %s 查看名单。", list, e.Name, e.County)
	case data.NameInvalid:
		return fmt.Sprintf("名称“%s”太长（最多%d字）或含有特殊字符。", clip(strings.Map(printable, e.Name), 20), data.MaxNameRunes)
	case data.NameCount:
		return fmt.Sprintf("%s %s 写了%+d，却列了%d个名称。名称个数应与数量一致；也可以只写数量，不写名称（记为未具名）。",
			e.County, e.Indicator.Name(), e.Amount, e.Names)
	case data.NameWithSet:
		return fmt.Sprintf("=%d 是累计总数，不能带名称。新增请写 %s +2 甲公司、乙公司；减少请写 %s -1 甲公司。",
			e.Amount, e.County+" "+grammar.IndicatorLabel(e.Indicator), e.County+" "+grammar.IndicatorLabel(e.Indicator))
	case data.NameNear:
		s := fmt.Sprintf("“%s”像是\n%s上的", e.Name, list)
		if l := e.Listed; l != nil {
			s += "\n“" + l.Name + "”"
		}
		return s + "。\n如是另一家，请在名称后加\n“" + data.DistinctMark + "”再发。"
	case data.NamesOverCount:
		return fmt.Sprintf("%s上已有%d%s具名，改后总数只有%d%s，少于名单。减少请写明名称，例如：%s %s -1 甲公司",
			list, e.Names, unit, e.Amount, unit, e.County, grammar.IndicatorLabel(e.Indicator))
	}
	return "名称有误，请核对后再发。"
}

// printable hides control characters in a name quoted back to the user.
func printable(r rune) rune {
	if grammar.IsControlRune(r) {
		return '?'
	}
	return r
}

func (h *Handler) closedText(e *data.ClosedError) string {
	admins := "市局管理员"
	if people, err := h.Store.People(context.Background()); err == nil {
		var ns []string
		for _, p := range people {
			if p.Role == data.RoleAdmin && p.UserID > 0 && p.Name != "" {
				ns = append(ns, p.Name)
			}
		}
		if len(ns) > 0 {
			admins += strings.Join(ns, "、")
		}
	}
	if c := e.Confirmed; c != nil {
		return fmt.Sprintf("%s的名单已于%s由%s确认报送，之后的修改请联系%s办理。",
			e.County, c.CreatedAt.In(h.Campaign.Location).Format("1月2日 15:04"), who(c.UserName, c.UserID), admins)
	}
	return fmt.Sprintf("名单报送已于%s截止，之后%s的修改请联系%s办理。",
		h.Campaign.ListsDue.Format("1月2日"), e.County, admins)
}

func who(name string, id int64) string {
	if name != "" {
		return name
	}
	return strconv.FormatInt(id, 10)
}

// listArgs reads /list [county] [indicator].
func (h *Handler) listArgs(args []string) (county string, ind data.Indicator, one bool, bad string) {
	const usage = "用法：/list [区县] [指标]，例如：/list 柯桥 辅导企业"
	for _, a := range args {
		if co, ok := h.Campaign.County(a); ok && county == "" {
			county = co.Name
			continue
		}
		if n, station, ok := grammar.LookupIndicator(a); ok && !one {
			if station {
				return "", 0, false, "请写明是省级示范站还是市县级示范站。" + usage
			}
			ind, one = n, true
			continue
		}
		return "", 0, false, fmt.Sprintf("没看懂“%s”：不是区县，也不是指标。%s", clip(a, 20), usage)
	}
	return county, ind, one, ""
}

// lists answers /list: a county's names, or the city's summary.
func (h *Handler) lists(ctx context.Context, p data.Person, args []string) Reply {
	county, ind, one, bad := h.listArgs(args)
	if bad != "" {
		return Reply{Text: bad}
	}
	if county == "" && p.Role == data.RoleCounty {
		county = p.County
	}
	names, err := h.Store.Names(ctx, county)
	if err != nil {
		h.Log.Error("names failed", slog.Any("err", err))
		return Reply{Text: msgInternal}
	}
	done, err := h.Store.Totals(ctx)
	if err != nil {
		h.Log.Error("totals failed", slog.Any("err", err))
		return Reply{Text: msgInternal}
	}
	confs, err := h.Store.Confirmations(ctx)
	if err != nil {
		h.Log.Error("confirmations failed", slog.Any("err", err))
		return Reply{Text: msgInternal}
	}
	reos, err := h.Store.Reopenings(ctx)
	if err != nil {
		h.Log.Error("reopenings failed", slog.Any("err", err))
		return Reply{Text: msgInternal}
	}
	rn := h.rosterNames(ctx)
	rn.Listed(names)
	rn.Confirmations(confs)
	now := h.Now()
	if county == "" {
		return Reply{Text: cityLists(h.Campaign, done, names, confs, reos, now) + h.crossCountyNote(ctx, p, "")}
	}
	var only *data.Indicator
	if one {
		only = &ind
	}
	var conf *data.Confirmation
	if c, ok := confs[county]; ok {
		conf = &c
	}
	var reo *data.Reopening
	if ro, ok := reos[county]; ok && conf == nil {
		ro.UserName = rn.Of(ro.UserID, ro.UserName)
		reo = &ro
	}
	r := Reply{Text: countyLists(h.Campaign, county, done[county], names, only, conf, reo, now) + h.crossCountyNote(ctx, p, county)}
	if note, buttons := noteOne(names, county); note != "" {
		r.Text += "\n" + note
		r.Buttons = buttons
	}
	return r
}

// countyLists is one county's names, with who recorded each and when, and
// how many of the count are still unnamed.
func countyLists(c *data.Campaign, county string, done data.Counts, names []data.Listed, only *data.Indicator, conf *data.Confirmation, reo *data.Reopening, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s 名单（%s）", county, now.In(c.Location).Format("1月2日 15:04"))
	limit := listCapAll
	if only != nil {
		limit = listCapOne
	}
	missing := map[int64]bool{}
	for _, l := range data.MissingFromTutoring(names) {
		missing[l.ID] = true
	}
	shown := 0
	for _, ind := range data.Indicators {
		if only != nil && ind != *only {
			continue
		}
		var list []data.Listed
		for _, l := range names {
			if l.County == county && l.Indicator == ind {
				list = append(list, l)
			}
		}
		if done[ind] == 0 && len(list) == 0 && only == nil {
			continue
		}
		shown++
		u := ind.Unit()
		fmt.Fprintf(&b, "\n【%s】共%d%s", ind.Name(), done[ind], u)
		if len(list) > 0 {
			fmt.Fprintf(&b, "，已具名%d%s", len(list), u)
		}
		if n := done[ind] - len(list); n > 0 {
			fmt.Fprintf(&b, "，另有%d%s未具名", n, u)
		}
		for i, l := range list {
			if i == limit {
				more := fmt.Sprintf("发 /list %s %s 查看", county, grammar.IndicatorLabel(ind))
				if only != nil {
					more = "完整名单请发 /export 下载表格"
				}
				fmt.Fprintf(&b, "\n……还有%d%s未列出，%s", len(list)-limit, u, more)
				break
			}
			fmt.Fprintf(&b, "\n%d. %s（%s %s）", i+1, l.Name, who(l.UserName, l.UserID), l.CreatedAt.In(c.Location).Format("01-02 15:04"))
			if l.Late {
				b.WriteString(" 逾期")
			}
			if missing[l.ID] {
				b.WriteString(" ⚠️未列入辅导名单")
			}
		}
	}
	if shown == 0 {
		b.WriteString("\n暂无填报。")
	}
	if conf != nil {
		fmt.Fprintf(&b, "\n✅ 名单已由%s于%s确认报送", who(conf.UserName, conf.UserID), conf.CreatedAt.In(c.Location).Format("1月2日 15:04"))
	} else {
		if reo != nil {
			fmt.Fprintf(&b, "\n↩️ 名单已由%s于%s重新开放（%s）", who(reo.UserName, reo.UserID), reo.CreatedAt.In(c.Location).Format("1月2日 15:04"), reo.Reason)
		}
		b.WriteString("\n名单核对无误后，请发 /confirm 确认报送。")
	}
	return b.String()
}

// cityLists is the city's summary: named of done per county, and sign-offs.
func cityLists(c *data.Campaign, done map[string]data.Counts, names []data.Listed, confs map[string]data.Confirmation, reos map[string]data.Reopening, now time.Time) string {
	named := map[string]data.Counts{}
	for _, l := range names {
		n := named[l.County]
		n[l.Indicator]++
		named[l.County] = n
	}
	missing := map[string]int{}
	for _, l := range data.MissingFromTutoring(names) {
		missing[l.County]++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "全市名单 具名/总数\n%s\n", now.In(c.Location).Format("1月2日 15:04"))
	var warn []string
	for _, co := range c.Counties {
		d, n := done[co.Name], named[co.Name]
		cult := func(x data.Counts) int { return x[data.Zone] + x[data.ProvincialStation] + x[data.CityStation] }
		fmt.Fprintf(&b, "%s 培育%d/%d 辅导%d/%d", co.Name, cult(n), cult(d), n[data.Tutoring], d[data.Tutoring])
		if _, ok := confs[co.Name]; ok {
			b.WriteString(" 已确认")
		} else if _, ok := reos[co.Name]; ok {
			b.WriteString(" 已重开")
		}
		b.WriteString("\n")
		if k := missing[co.Name]; k > 0 {
			warn = append(warn, fmt.Sprintf("⚠️ %s %d个示范站未列入辅导名单", co.Name, k))
		}
	}
	for _, w := range warn {
		b.WriteString(w + "\n")
	}
	var signed []string
	for _, co := range c.Counties {
		if _, ok := confs[co.Name]; ok {
			signed = append(signed, co.Name)
		}
	}
	if len(signed) > 0 {
		fmt.Fprintf(&b, "已确认：%s（%d/%d）\n", strings.Join(signed, "、"), len(signed), len(c.Counties))
	} else {
		b.WriteString("各区县名单均未确认\n")
	}
	b.WriteString("查看一个区县：/list 柯桥\n下载表格：/export")
	return b.String()
}

// noteOne applies note 1 of the notice to a county's lists: the named
// stations missing from the tutoring list, with a button to add each.
func noteOne(names []data.Listed, county string) (string, []Button) {
	var missing []data.Listed
	for _, l := range data.MissingFromTutoring(names) {
		if l.County == county {
			missing = append(missing, l)
		}
	}
	return noteOneText(missing, county)
}

// noteOneText says which stations are missing from a county's tutoring list.
func noteOneText(missing []data.Listed, county string) (string, []Button) {
	if len(missing) == 0 {
		return "", nil
	}
	ns := make([]string, len(missing))
	var buttons []Button
	for i, l := range missing {
		ns[i] = l.Name
		if i < noteButtons {
			buttons = append(buttons, Button{Label: "加入辅导名单：" + clip(l.Name, 16), Data: "t:" + strconv.FormatInt(l.ID, 10)})
		}
	}
	s := fmt.Sprintf("⚠️ %s辅导名单还缺%d个示范站\n（辅导企业数应含培育数）：\n%s", county, len(missing), strings.Join(ns, "\n"))
	if len(missing) > noteButtons {
		s += fmt.Sprintf("（按钮只列前%d个）", noteButtons)
	}
	return s, buttons
}

// withNoteOne adds the note-1 flags and buttons to a county's status.
func (h *Handler) withNoteOne(ctx context.Context, r Reply, county string) Reply {
	missing, err := h.Store.MissingFromTutoring(ctx, county)
	if err != nil {
		h.Log.Error("note 1 failed", slog.Any("err", err))
		return r
	}
	if note, buttons := noteOneText(missing, county); note != "" {
		r.Text += "\n" + note
		r.Buttons = append(r.Buttons, buttons...)
	}
	return r
}

// addToTutoring is the note-1 button: it records 辅导企业 +1 <station> for
// the county of the station.
func (h *Handler) addToTutoring(ctx context.Context, m Message, p data.Person, id int64) Reply {
	if p.Role == data.RoleViewer {
		return m.refuse(Reply{Text: msgViewer})
	}
	l, err := h.Store.ListedName(ctx, id)
	if errors.Is(err, data.ErrNotFound) {
		return m.refuse(Reply{Text: "这个示范站已不在名单上，按钮已失效。"})
	}
	if err != nil {
		h.Log.Error("load name failed", slog.Int64("name_id", id), slog.Any("err", err))
		return m.refuse(Reply{Text: msgInternal})
	}
	if l.Indicator != data.ProvincialStation && l.Indicator != data.CityStation {
		return m.refuse(Reply{Text: msgStaleButton})
	}
	if !p.CanWrite(l.County) {
		return m.refuse(Reply{Text: fmt.Sprintf("您只能填报%s的数据，不能填报%s。", p.County, l.County)})
	}
	line := fmt.Sprintf("%s 辅导企业 +1 %s", l.County, l.Name)
	m.Text = "加入辅导名单：" + l.Name
	reply := func(out data.Outcome) Reply {
		head := fmt.Sprintf("✅ 已加入%s辅导名单：\n%s", l.County, l.Name)
		if out.Duplicate {
			head = "这条已记录过，未重复计数"
		}
		return h.outcomeReply(head, out)
	}
	a := authorAs(m, p)
	a.Answer = m.once.answer(reply)
	out, err := h.Store.Record(ctx, a, []data.Change{{County: l.County, Indicator: data.Tutoring, Amount: 1, Names: []string{l.Name}, Line: line}})
	if r, failed := h.writeFailed(m, err); failed {
		return r
	}
	m.once.wrote(out)
	return reply(out)
}

// export answers /export with the spreadsheet: a county's staff get their
// county's file, the admin and viewers the city's (or one county's).
func (h *Handler) export(ctx context.Context, m Message, p data.Person, args []string) Reply {
	county, bad := h.countyArg(args)
	if bad != "" {
		return Reply{Text: bad}
	}
	if p.Role == data.RoleCounty {
		if county != "" && county != p.County {
			return Reply{Text: fmt.Sprintf("您只能导出%s的名单。", p.County)}
		}
		county = p.County
	}
	now := h.Now()
	m.working(WorkDocument)
	in, err := export.Load(ctx, h.Store, h.Campaign, county, now)
	if err != nil {
		h.Log.Error("export load failed", slog.Any("err", err))
		return Reply{Text: msgInternal}
	}
	var buf bytes.Buffer
	// The few hundred MB a province's workbook passes through the heap are
	// given back by ReturnMemory once the file is sent.
	if err := export.Workbook(&buf, in); err != nil {
		h.Log.Error("export failed", slog.Any("err", err))
		return Reply{Text: msgInternal}
	}
	what := county
	if what == "" {
		what = "全市"
	}
	return Reply{
		Text:     fmt.Sprintf("📎 %s名单表格（进度、培育名单、专项辅导名单、记录明细），截至%s。", what, now.In(h.Campaign.Location).Format("1月2日 15:04")),
		Document: &Document{Name: export.FileName(h.Campaign, county, now), Data: buf.Bytes()},
	}
}
