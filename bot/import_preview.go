package bot

import (
	"fmt"
	"strings"
	"unicode"

	"tsbot/bot/grammar"
	"tsbot/data"
)

// importPreview is what importing a file would do, short enough for a
// phone: the counts first (N 家新单位，M 项信息变更，K 行有错误), then
// each list's new count, the names whose attributes change, the error rows
// (at most importErrorsShown) and the firms another county lists too (at
// most importElsewhereShown).
func importPreview(file string, rows []data.ImportRow, plan data.ImportPlan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "📋 导入核对：%s\n", fileLabel(file))
	fmt.Fprintf(&b, "%d家新单位，%d项信息变更，%d行有错误", len(plan.New), plan.Changed(), len(plan.Errors))
	if len(plan.Groups) > 0 {
		b.WriteString("\n新增：")
		for _, g := range plan.Groups {
			fmt.Fprintf(&b, "\n%s %s +%d%s", g.County, grammar.IndicatorLabel(g.Indicator), g.Names, g.Indicator.Unit())
			switch filled := g.Names - (g.After - g.Before); {
			case g.After == g.Before:
				fmt.Fprintf(&b, "（补原未具名，总数%d不变）", g.Before)
			case filled > 0: // some fill the unnamed, the rest add to the total
				fmt.Fprintf(&b, "（%d%s补原未具名，总数%d→%d）", filled, g.Indicator.Unit(), g.Before, g.After)
			default:
				fmt.Fprintf(&b, "（总数%d→%d）", g.Before, g.After)
			}
		}
	}
	if len(plan.Changes) > 0 {
		b.WriteString("\n变更：")
		for i, c := range plan.Changes {
			if i == importChangesShown {
				fmt.Fprintf(&b, "\n……等%d家", len(plan.Changes))
				break
			}
			labels := make([]string, len(c.Values))
			for k, v := range c.Values {
				labels[k] = v.Field.Label()
			}
			fmt.Fprintf(&b, "\n%s：%s", clip(c.Name, 16), strings.Join(labels, "、"))
		}
	}
	if plan.Same > 0 {
		fmt.Fprintf(&b, "\n（另有%d行与名单相同）", plan.Same)
	}
	if len(plan.Errors) > 0 {
		b.WriteString("\n错误：")
		sheets := sheetsOf(rows)
		for i, e := range plan.Errors {
			if i == importErrorsShown {
				fmt.Fprintf(&b, "\n……另有%d行有错误", len(plan.Errors)-importErrorsShown)
				break
			}
			where := ""
			if sheets > 1 {
				where = clip(quoted(e.Sheet), 12)
			}
			fmt.Fprintf(&b, "\n%s第%d行 %s", where, e.Row, quoted(e.Reason))
		}
	}
	for i, e := range plan.Elsewhere {
		if i == importElsewhereShown {
			fmt.Fprintf(&b, "\n……等%d家也在其他区县名单上", len(plan.Elsewhere))
			break
		}
		fmt.Fprintf(&b, "\n⚠️ %s也在%s名单上", clip(e.Name, 16), e.Listed.County)
	}
	switch {
	case len(plan.Errors) > 0:
		b.WriteString("\n有错误，未导入。请改正后重新发送整个文件。")
	case plan.Empty():
		b.WriteString("\n没有新内容，无需导入。")
	default:
		b.WriteString("\n无误请按“确认导入”，或回复：确认导入")
	}
	return b.String()
}

// sheetsOf counts the sheets rows come from.
func sheetsOf(rows []data.ImportRow) int {
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r.Sheet] = true
	}
	return len(seen)
}

// importedHead opens the reply to an import.
func importedHead(file string, plan data.ImportPlan, late bool) string {
	s := fmt.Sprintf("✅ 已导入 %s\n%d家新单位，%d项信息变更", fileLabel(file), len(plan.New), plan.Changed())
	if late {
		s += "\n（名单已确认或已截止，标为逾期）"
	}
	return s
}

// fileLabel is a file's name as a reply quotes it: short, with control and
// text-direction characters shown as "?" (a name is the sender's choice).
func fileLabel(name string) string {
	return clip(quoted(name), 24)
}

// quoted is text of the file (a name, a sheet's name, a cell a reason
// quotes) as a reply shows it: a line break, a control or a text-direction
// character is shown as "?", so that it cannot make a line of the reply's
// own or turn its text around.
func quoted(s string) string {
	return strings.Map(func(r rune) rune {
		if data.IsBidiControl(r) || unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
}
