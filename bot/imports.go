package bot

// Filling the 名单 on a PC: /template sends a county's lists as a
// spreadsheet, the filled-in file comes back as a document, the bot checks
// every row and answers with a preview; only 确认导入 (pressed or typed)
// writes it, as one batch that /undo takes back. A file with an error row
// imports nothing: an official list is fixed in the file and sent again,
// not imported in part.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"tsbot/data"
	"tsbot/data/export"
)

// File is a document that came with a message (a filled-in template).
type File struct {
	Name string
	Size int64 // as the channel declares it; 0 if it does not
	// Fetch downloads the file, reading at most limit bytes
	// (ErrFileTooLarge beyond); nil where the channel cannot download
	// files.
	Fetch func(ctx context.Context, limit int64) ([]byte, error)
}

// ErrFileTooLarge is what a File's Fetch returns for a file over its limit.
var ErrFileTooLarge = errors.New("bot: file too large")

// typedImport is what to type instead of pressing 确认导入.
const typedImport = "确认导入"

const (
	importErrorsShown  = 20 // error rows a preview lists
	importChangesShown = 10 // changed names a preview lists
	// importElsewhereShown is how many firms on another county's list a
	// preview names.
	importElsewhereShown = 5
)

// msgImportTooBig is said of a file over data.MaxImportBytes, declared or
// downloaded, on every channel.
var msgImportTooBig = fmt.Sprintf("文件超过%dMB，未导入。请删去名单以外的内容（如图片），或分成几个文件再发。", data.MaxImportBytes>>20)

const (
	msgImportNoFetch  = "这里发来的文件暂不能导入。请在电脑上用 Telegram 或钉钉把表格发给机器人。"
	msgImportFetch    = "⚠️ 文件没能下载，未导入。请稍后重新发送。"
	msgImportExpired  = "预览已过期，未导入。请重新发送文件。"
	msgImportDone     = "这个文件已导入过，未重复导入。"
	msgImportChanged  = "名单刚有变动，未导入。请再按一次“确认导入”重新核对。"
	msgImportNone     = "没有待确认的导入。请先发送填好的表格。"
	msgImportNotYours = "只有发送文件的人可以确认导入。"
)

// template answers /template [区县] with the county's 名单 as a form.
func (h *Handler) template(ctx context.Context, m Message, p data.Person, args []string) Reply {
	county, bad := h.countyArg(args)
	if bad != "" {
		return Reply{Text: bad}
	}
	switch p.Role {
	case data.RoleViewer:
		return Reply{Text: msgViewer}
	case data.RoleCounty:
		if county != "" && county != p.County {
			return Reply{Text: fmt.Sprintf("您只能导入%s的名单。", p.County)}
		}
		county = p.County
	}
	now := h.Now()
	m.working(WorkDocument)
	in, err := export.Load(ctx, h.Store, h.Campaign, county, now)
	if err != nil {
		h.Log.Error("template load failed", slog.Any("err", err))
		return Reply{Text: msgInternal}
	}
	var buf bytes.Buffer
	if err := export.Template(&buf, in); err != nil {
		h.Log.Error("template failed", slog.Any("err", err))
		return Reply{Text: msgInternal}
	}
	what := county
	if what == "" {
		what = "全市"
	}
	text := fmt.Sprintf("📎 %s名单填报模板（已有%d个名称）。\n在电脑上填好后，把文件发回给我；\n先核对，确认后才导入。", what, len(in.Names))
	if county == "" {
		text += "\n全市模板请写明每行的区县。"
	}
	return Reply{Text: text, Document: &Document{Name: export.TemplateName(h.Campaign, county, now), Data: buf.Bytes()}}
}

// importFile answers a document: the preview of what importing it would do.
func (h *Handler) importFile(ctx context.Context, m Message) Reply {
	f := m.File
	// In a group, a file not sent to the bot is shared among colleagues:
	// only a 名单 of staff is answered there (h.quiet), not a stranger's, a
	// leader's, or a spreadsheet that is no 名单.
	if m.Group && !m.Addressed && !strings.HasSuffix(strings.ToLower(f.Name), ".xlsx") {
		return Reply{}
	}
	p, err := h.person(ctx, m.UserID)
	if errors.Is(err, data.ErrNotFound) && m.Group && !m.Addressed {
		return Reply{}
	}
	if err != nil {
		return h.rosterReply(m, err)
	}
	if p.Role == data.RoleViewer {
		return h.quiet(m, msgViewer)
	}
	if f.Fetch == nil {
		return h.quiet(m, msgImportNoFetch)
	}
	if f.Size > data.MaxImportBytes {
		return h.quiet(m, msgImportTooBig)
	}
	m.working(WorkDocument)
	raw, err := f.Fetch(ctx, data.MaxImportBytes)
	if errors.Is(err, ErrFileTooLarge) {
		return h.quiet(m, msgImportTooBig)
	}
	if err != nil {
		h.Log.Warn("file download failed", slog.Int64("chat_id", m.ChatID), slog.Any("err", err))
		return h.quiet(m, msgImportFetch)
	}
	rows, err := export.ReadImport(raw)
	var fe *export.FileError
	if errors.As(err, &fe) && fe.NoList() {
		return h.quiet(m, fe.Reason)
	}
	if errors.As(err, &fe) {
		return Reply{Text: fe.Reason}
	}
	if err != nil {
		h.Log.Error("read import failed", slog.Any("err", err))
		return Reply{Text: msgInternal}
	}
	plan, err := h.Store.PlanImport(ctx, h.Campaign, p, rows)
	if err != nil {
		h.Log.Error("plan import failed", slog.Any("err", err))
		return Reply{Text: msgInternal}
	}
	if r, closed := h.importClosed(ctx, p, plan); closed {
		return r
	}
	text := importPreview(f.Name, rows, plan)
	if len(plan.Errors) > 0 || plan.Empty() {
		// The newest file is what the sender means: an earlier preview
		// no longer stands.
		if err := h.Store.CloseImports(ctx, m.UserID, m.ChatID); err != nil {
			h.Log.Error("close import previews failed", slog.Int64("user_id", m.UserID), slog.Any("err", err))
			return Reply{Text: msgNotSaved, Retry: true}
		}
		return Reply{Text: text}
	}
	pend := data.PendingImport{UserID: m.UserID, ChatID: m.ChatID, MessageID: m.MessageID, FileName: f.Name, Rows: rows}
	return h.askImport(ctx, m, pend, "", text, 0)
}

// importDigest names what a preview showed: a confirmation imports only
// what the sender saw.
func importDigest(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:12])
}

// askImport stages the file and asks 确认导入; closes is the preview this
// one replaces (0 for the first).
func (h *Handler) askImport(ctx context.Context, m Message, pend data.PendingImport, prefix, text string, closes int64) Reply {
	question := func(id int64) Reply {
		return Reply{Text: prefix + text, Replace: closes != 0,
			Buttons: []Button{{Label: "✅ 确认导入", Data: "im:" + strconv.FormatInt(id, 10), Typed: typedImport}}}
	}
	var a data.Answer
	var draft func(int64) data.Draft
	if d := m.once; d != nil {
		a = d.base(data.ReceiptAsked)
		draft = func(id int64) data.Draft { return d.draft(question(id)) }
	}
	id, err := h.Store.StageImport(ctx, pend, importDigest(text), closes, a, draft)
	switch {
	case errors.Is(err, data.ErrHandled):
		return replayed()
	case errors.Is(err, data.ErrChoiceClosed):
		m.once.refused()
		return m.refuse(Reply{Text: msgChoiceClosed, ClearKeyboard: true})
	case err != nil:
		h.Log.Error("stage import failed", slog.Int64("user_id", m.UserID), slog.Any("err", err))
		return Reply{Text: msgNotSaved, Retry: true}
	}
	if m.once != nil {
		m.once.answered = true
	}
	return question(id)
}

// isTypedImport reads a typed 确认导入.
func isTypedImport(text string) bool {
	s := strings.Join(strings.Fields(data.FoldWidth(text)), "")
	return strings.TrimRight(s, "。.!！") == typedImport
}

// importTyped is a typed 确认导入: it answers the sender's newest open
// import preview in this chat. In a group, where the preview says to type
// it, it needs no mention of the bot; there, whoever has no preview open
// gets no reply.
func (h *Handler) importTyped(ctx context.Context, m Message) Reply {
	quiet := m.Group && !m.Addressed
	p, err := h.person(ctx, m.UserID)
	if errors.Is(err, data.ErrNotFound) && quiet {
		return Reply{}
	}
	if err != nil {
		return h.rosterReply(m, err)
	}
	if p.Role == data.RoleViewer {
		return h.quiet(m, msgViewer)
	}
	cs, err := h.Store.OpenChoices(ctx, m.UserID, m.ChatID)
	if err != nil {
		h.Log.Error("open questions failed", slog.Int64("user_id", m.UserID), slog.Any("err", err))
		return Reply{Text: msgNotSaved, Retry: true}
	}
	for _, c := range cs {
		if pending, digest, ok := data.ImportChoice(c); ok {
			return h.confirmImport(ctx, m, p, c, pending, digest)
		}
	}
	return h.quiet(m, msgImportNone)
}

// importPress is a press of 确认导入.
func (h *Handler) importPress(ctx context.Context, m Message, p data.Person, id int64) Reply {
	c, err := h.Store.Choice(ctx, id)
	if errors.Is(err, data.ErrNotFound) {
		return m.refuse(Reply{Text: msgStaleButton})
	}
	if err != nil {
		h.Log.Error("load choice failed", slog.Int64("choice_id", id), slog.Any("err", err))
		return m.refuse(Reply{Text: msgInternal})
	}
	pending, digest, ok := data.ImportChoice(c)
	if !ok || c.ChatID != m.ChatID {
		return m.refuse(Reply{Text: msgStaleButton})
	}
	if c.UserID != m.UserID {
		return m.refuse(Reply{Text: msgImportNotYours})
	}
	if c.ClosedAt != nil {
		return m.refuse(Reply{Text: msgChoiceClosed, ClearKeyboard: true})
	}
	if p.Role == data.RoleViewer {
		return m.refuse(Reply{Text: msgViewer})
	}
	return h.confirmImport(ctx, m, p, c, pending, digest)
}

// confirmImport imports a previewed file, if the lists still give the
// preview that was shown; otherwise the new preview is shown instead.
func (h *Handler) confirmImport(ctx context.Context, m Message, p data.Person, c data.Choice, pendingID int64, digest string) Reply {
	pend, err := h.Store.LoadPendingImport(ctx, pendingID)
	switch {
	case errors.Is(err, data.ErrNotFound), errors.Is(err, data.ErrImportExpired):
		m.once.refused()
		return Reply{Text: msgImportExpired, ClearKeyboard: true}
	case errors.Is(err, data.ErrImported):
		m.once.refused()
		return Reply{Text: msgImportDone, ClearKeyboard: true}
	case err != nil:
		h.Log.Error("load pending import failed", slog.Int64("pending_id", pendingID), slog.Any("err", err))
		return Reply{Text: msgNotSaved, Retry: true}
	}
	plan, err := h.Store.PlanImport(ctx, h.Campaign, p, pend.Rows)
	if err != nil {
		h.Log.Error("plan import failed", slog.Any("err", err))
		return Reply{Text: msgNotSaved, Retry: true}
	}
	text := importPreview(pend.FileName, pend.Rows, plan)
	if importDigest(text) != digest {
		return h.importChanged(ctx, m, c, pend, plan, text)
	}
	m.Text = typedImport + " " + pend.FileName
	reply := func(out data.Outcome) Reply {
		r := h.outcomeReply(importedHead(pend.FileName, plan, out.Batch.Late), out)
		r.Buttons = []Button{{Label: "撤销导入", Data: "u:" + strconv.FormatInt(out.Batch.ID, 10), Typed: TypedUndo}}
		r.ClearKeyboard = true
		return r
	}
	a := authorAs(m, p)
	a.Answer, a.Choice = m.once.answer(reply), c.ID
	out, err := h.Store.Import(ctx, a, pend.ID, plan)
	switch {
	case errors.Is(err, data.ErrImported):
		m.once.refused()
		return Reply{Text: msgImportDone, ClearKeyboard: true}
	case errors.Is(err, data.ErrListsChanged):
		m.once.refused()
		return Reply{Text: msgImportChanged}
	}
	if r, failed := h.writeFailed(m, err); failed {
		return r
	}
	m.once.wrote(out)
	return reply(out)
}

// importChanged answers a confirmation whose preview no longer holds: the
// lists changed since. The new preview takes the old one's place, with a
// button of its own when there is still something to import.
func (h *Handler) importChanged(ctx context.Context, m Message, c data.Choice, pend data.PendingImport, plan data.ImportPlan, text string) Reply {
	const prefix = "名单在预览后有变动，已重新核对：\n"
	if len(plan.Errors) == 0 && !plan.Empty() {
		return h.askImport(ctx, m, pend, prefix, text, c.ID)
	}
	r := Reply{Text: prefix + text, ClearKeyboard: true}
	var a *data.Answer
	if d := m.once; d != nil {
		ans := d.base(data.ReceiptRefused)
		ans.Draft = func(data.Outcome) data.Draft { return d.draft(r) }
		a = &ans
	}
	out, err := h.Store.Decline(ctx, c.ID, a)
	if r, failed := h.writeFailed(m, err); failed {
		return r
	}
	m.once.wrote(out)
	return r
}

// importClosed refuses, before any preview, a file of county staff that
// would change lists that are closed (confirmed, or past the deadline): the
// write would be refused the same way (ClosedError), after a press.
func (h *Handler) importClosed(ctx context.Context, p data.Person, plan data.ImportPlan) (Reply, bool) {
	if p.Role == data.RoleAdmin || len(plan.Versions) == 0 {
		return Reply{}, false
	}
	confs, err := h.Store.Confirmations(ctx)
	if err != nil {
		h.Log.Error("confirmations failed", slog.Any("err", err))
		return Reply{Text: msgInternal}, true
	}
	late := !h.Store.ListsClose.IsZero() && !h.Now().Before(h.Store.ListsClose)
	for _, co := range h.Campaign.Counties {
		if _, ok := plan.Versions[co.Name]; !ok {
			continue
		}
		e := &data.ClosedError{County: co.Name, Deadline: h.Store.ListsClose}
		if c, ok := confs[co.Name]; ok {
			c.UserName = h.rosterNames(ctx).Of(c.UserID, c.UserName)
			e.Confirmed = &c
		}
		if e.Confirmed != nil || late {
			return Reply{Text: "未导入：" + h.closedText(e)}, true
		}
	}
	return Reply{}, false
}
