// Package grammar is the message grammar: how a line typed on a phone
// becomes a change to the ledger. Parse is pure (a function of the text and
// the campaign) so it can be table-tested and fuzzed without a chat, a
// database or a clock.
//
// The scanner walks a line left to right and, at each position, tries the
// things staff type in a fixed order: a county, the city (绍兴/全市), an
// indicator, an @mention, a + - = sign, and, only at a word boundary, a query
// word, an amount keyword (新增, 累计 …), a filler (了, 今天 …) or a number.
// Anything else is "leftover" text. Once a line has an indicator and an amount,
// the rest of it is the list of names and is not scanned as grammar, so a
// company called 嵊州某某有限公司 never reads as a second county. Each name is
// then checked (checkNames): the names go to the province as typed, so a
// second amount, an indicator, markup or a name with no letter is refused.
//
// A message is cut into parts (split.go), each part folded (fold.go) and
// scanned (scan.go, numbers.go, words.go), and each part's scan classified as
// chatter, a header, a query, an update, an error or a question
// (classify.go, readings.go); the names after an amount are split and checked
// in names.go.
package grammar

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"tsbot/data"
)

// Op says how an amount applies to the ledger: data's one type for it.
type Op = data.Op

const (
	OpAdd = data.OpAdd // signed delta
	OpSet = data.OpSet // set the total
)

// Change is one update: one county, one indicator, one amount.
type Change struct {
	County    string // canonical county name (data.County.Name), "" if the line names none
	Indicator data.Indicator
	Op        Op
	Amount    int      // OpAdd: signed delta (never 0); OpSet: the new total (>= 0)
	Names     []string // names of enterprises/units written after the amount, if any
	Line      string   // the original line, trimmed
}

// Intent is what a message is for.
type Intent int

const (
	Chatter Intent = iota // not meant for the bot
	Update
	Query
)

func (i Intent) String() string {
	switch i {
	case Update:
		return "update"
	case Query:
		return "query"
	}
	return "chatter"
}

// Parsed is what a message asks for.
type Parsed struct {
	Intent  Intent
	Changes []Change // Intent == Update
	County  string   // Intent == Query: the county asked about, "" = whole city
}

// Limits. A message is measured in runes, not bytes: a Chinese character is
// three bytes, and Telegram's own limit (4096) is in characters.
const (
	MaxRunes   = 4096 // longest message read
	MaxChanges = 20   // most updates in one message
	MaxAmount  = 1000 // largest amount in one update; more is a typo (+1000 would be a whole province)
)

// InputError is a message meant for the bot that cannot be understood. Msg is
// the short Chinese reply saying what to type instead; Line is the 1-based
// line of the message at fault (0 = the whole message).
type InputError struct {
	Line int
	Msg  string
}

func (e *InputError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("第%d行：%s", e.Line, e.Msg)
	}
	return e.Msg
}

// Ambiguity is a line with two (or four) readings. The bot never guesses: it
// asks, with one button per reading. Options are the whole message rewritten
// with that line made explicit, so a button can simply re-run Parse.
type Ambiguity struct {
	Line     int
	Question string
	Options  []string
	Labels   []string
	// part is the index of the ambiguous part among the message's non-blank
	// parts (a line may hold several, split by ；or ，). A rewritten option
	// may still ask about another part of the same line, never this one.
	part int
}

func (a *Ambiguity) Error() string {
	if a.Line > 0 {
		return fmt.Sprintf("第%d行：%s", a.Line, a.Question)
	}
	return a.Question
}

// Parse reads one chat message. It never panics and never returns both a
// result and an error; the error, if any, is an *InputError or an *Ambiguity.
//
// Control characters and invalid UTF-8 are always an *InputError, as is a
// message over MaxRunes runes. A bidi control (data.IsBidiControl) is an
// *InputError in any message that is not chatter without it: what a phone
// shows is then not what the bot would read.
func Parse(text string, c *data.Campaign) (Parsed, error) {
	if !utf8.ValidString(text) {
		return Parsed{}, &InputError{Msg: "消息里有无法识别的字符，请重新输入，例如：" + sampleLine("", -1, "+3")}
	}
	if n := utf8.RuneCountInString(text); n > MaxRunes {
		return Parsed{}, &InputError{Msg: fmt.Sprintf("消息太长（%d字，最多%d字），请分几条发送。", n, MaxRunes)}
	}
	if line := firstLineWith(text, IsControlRune); line > 0 {
		return Parsed{}, &InputError{Line: line, Msg: "消息里有看不见的控制字符，请重新输入，例如：" + sampleLine("", -1, "+3")}
	}
	if line := firstLineWith(text, data.IsBidiControl); line > 0 {
		p, err := parseEmoji(strings.Map(func(r rune) rune {
			if data.IsBidiControl(r) {
				return -1
			}
			return r
		}, text), c)
		if err == nil && p.Intent == Chatter {
			return p, nil
		}
		return Parsed{}, &InputError{Line: line, Msg: msgBidi}
	}
	return parseEmoji(text, c)
}

// msgBidi is the reply to a message with a bidi control, typically pasted.
const msgBidi = "消息里有改变文字方向的隐藏字符，手机上显示的可能和实际内容不一样。请不要复制粘贴，手动重新输入，例如：柯桥 辅导企业 +3"

// parseEmoji reads a message that may hold emoji. Emoji at the start or end
// of a line are decoration (👍 柯桥 辅导企业 +3, 柯桥 辅导企业 +3🎉) and are
// dropped. A message with an emoji anywhere else that would be chatter
// without it (好的👍) is chatter; any other is an *InputError, because an
// update must be read exactly: 柯👍桥 is no county.
func parseEmoji(text string, c *data.Campaign) (Parsed, error) {
	line := firstLineWith(text, isEmojiRune)
	if line == 0 {
		return parseMessage(text, c)
	}
	if trimmed := trimEdgeEmoji(text); firstLineWith(trimmed, isEmojiRune) == 0 {
		return parseMessage(trimmed, c)
	}
	p, err := parseMessage(strings.Map(func(r rune) rune {
		if isEmojiRune(r) {
			return -1
		}
		return r
	}, text), c)
	if err == nil && p.Intent == Chatter {
		return p, nil
	}
	return Parsed{}, &InputError{Line: line, Msg: "请去掉表情符号后重发，例如：" + sampleLine("", -1, "+3")}
}

func parseMessage(text string, c *data.Campaign) (Parsed, error) {
	names := c.Places() // nil without a campaign: no county known
	parts := splitParts(text, names)
	results, updates := classifyParts(text, parts, names)
	for k, r := range results {
		if r.kind == outError {
			return Parsed{}, &InputError{Line: parts[k].line, Msg: r.msg}
		}
	}
	for k, r := range results {
		if r.kind == outAmbiguous {
			a := *r.amb
			a.Line, a.part = parts[k].line, k
			orig := text[parts[k].start:parts[k].end]
			_, at := foldLineMap(orig)
			for _, e := range r.edits {
				a.Options = append(a.Options, text[:parts[k].start]+applyEdits(orig, at, e)+text[parts[k].end:])
			}
			return Parsed{}, &a
		}
	}
	if updates > MaxChanges {
		return Parsed{}, &InputError{Msg: fmt.Sprintf("一条消息最多%d项（这条有%d项），请分几条发送。", MaxChanges, updates)}
	}
	var out Parsed
	for _, r := range results {
		switch {
		case r.kind == outUpdate:
			out.Intent = Update
			out.Changes = append(out.Changes, r.change)
		case r.kind == outQuery && out.Intent == Chatter:
			out.Intent, out.County = Query, r.county
		}
	}
	if out.Intent == Update {
		out.County = ""
	}
	return out, nil
}
