package data

// The attributes of a name on a list, as the province checks them: the
// columns of the 培育名单 and the 专项辅导名单 besides the name. Each value is
// checked here, once, for the chat and the store alike.

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// DetailField is one attribute of a listed unit or enterprise.
type DetailField int

const (
	DetailCreditCode DetailField = iota // 统一社会信用代码
	DetailKind                          // 类型 (of an enterprise; a unit's 级别 is its indicator)
	DetailAddress                       // 地址
	DetailContact                       // 联系人
	DetailPhone                         // 联系电话
	DetailDate                          // 辅导日期
	DetailMethod                        // 辅导方式
	DetailNote                          // 备注
	NumDetailFields
)

// DetailFields lists the attributes in the column order of the lists.
var DetailFields = [NumDetailFields]DetailField{DetailCreditCode, DetailKind, DetailAddress, DetailContact, DetailPhone, DetailDate, DetailMethod, DetailNote}

var detailInfo = [NumDetailFields]struct {
	key, label string
	max        int // longest value, in characters
}{
	{"credit_code", "统一社会信用代码", 18},
	{"kind", "类型", 20},
	{"address", "地址", 100},
	{"contact", "联系人", 20},
	{"phone", "联系电话", 20},
	{"date", "辅导日期", 10},
	{"method", "辅导方式", 20},
	{"note", "备注", 60},
}

// Key is the stable identifier stored with each attribute record.
func (f DetailField) Key() string { return detailInfo[f].key }

// Label is the column heading, and how replies name the attribute.
func (f DetailField) Label() string { return detailInfo[f].label }

// DetailFieldByKey maps a stored key back to the field.
func DetailFieldByKey(key string) (DetailField, bool) {
	for _, f := range DetailFields {
		if f.Key() == key {
			return f, true
		}
	}
	return 0, false
}

// DetailError refuses an attribute value; Reason is Chinese, for the person
// who typed it.
type DetailError struct {
	Field  DetailField
	Value  string
	Reason string
}

func (e *DetailError) Error() string {
	return fmt.Sprintf("details: %s %q: %s", e.Field.Key(), e.Value, e.Reason)
}

// CleanDetail checks one attribute value and returns it in the form it is
// kept: a credit code in capitals, a landline as 0575-85134612, a date as
// 2027-09-12. year is the year of a date typed without one (9月12日).
func CleanDetail(f DetailField, value string, year int) (string, error) {
	v := strings.TrimSpace(value)
	bad := func(reason string) (string, error) { return "", &DetailError{Field: f, Value: v, Reason: reason} }
	if v == "" {
		return bad("不能为空")
	}
	if !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) || HasBidiControl(v) {
		return bad("含有特殊字符")
	}
	switch f {
	case DetailCreditCode:
		code, reason := CheckCreditCode(v)
		if reason != "" {
			return bad(reason)
		}
		return code, nil
	case DetailPhone:
		p, ok := CleanPhone(v)
		if !ok {
			return bad("不是电话号码：手机号为1开头的11位数字，座机如 0575-85134612 或 85134612")
		}
		return p, nil
	case DetailDate:
		d, ok := ParseDetailDate(v, year)
		if !ok {
			return bad("不是日期：请写 2027-09-12、9月12日 或 2027年9月12日")
		}
		return d, nil
	}
	if n := utf8.RuneCountInString(v); n > detailInfo[f].max {
		return bad(fmt.Sprintf("太长（%d字，最多%d字）", n, detailInfo[f].max))
	}
	return v, nil
}

// creditAlphabet is the 31 characters of a unified social credit code
// (GB 32100-2015), in the order of their values: no I, O, S, V or Z.
const creditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// creditWeights are the weights of the first 17 characters (GB 32100-2015, 3^(i-1) mod 31).
var creditWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// CreditCheckChar is the check character of the first 17 characters of a
// credit code: 31 minus the weighted sum mod 31 (31 is written 0). ok is
// false when a character is not in the code's alphabet.
func CreditCheckChar(first17 string) (byte, bool) {
	if len(first17) != 17 {
		return 0, false
	}
	sum := 0
	for i := range 17 {
		v := strings.IndexByte(creditAlphabet, first17[i])
		if v < 0 {
			return 0, false
		}
		sum += v * creditWeights[i]
	}
	return creditAlphabet[(31-sum%31)%31], true
}

// CheckCreditCode checks a unified social credit code: 18 characters of its
// alphabet, an administrative division (characters 3–8) in digits, and the
// check character. It returns the code in capitals, or the reason it is
// wrong, in Chinese.
func CheckCreditCode(s string) (code, reason string) {
	s = strings.ToUpper(strings.ReplaceAll(FoldWidth(s), " ", ""))
	if n := utf8.RuneCountInString(s); n != 18 {
		return "", fmt.Sprintf("应为18位，这里是%d位", n)
	}
	for i, r := range s {
		if !strings.ContainsRune(creditAlphabet, r) {
			if strings.ContainsRune("IOSVZ", r) {
				return "", fmt.Sprintf("第%d位是%c：代码不用字母 I、O、S、V、Z", i+1, r)
			}
			return "", fmt.Sprintf("第%d位“%c”不是数字或大写字母", i+1, r)
		}
	}
	for i := 2; i < 8; i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", "第3至8位是登记机关的行政区划码，应为数字"
		}
	}
	want, _ := CreditCheckChar(s[:17])
	if s[17] != want {
		return "", fmt.Sprintf("校验位不对（末位应为%c，这里是%c），请核对是否抄错", want, s[17])
	}
	return s, ""
}

var (
	mobileRe   = regexp.MustCompile(`^(?:\+?86)?(1[3-9]\d{9})$`)
	landlineRe = regexp.MustCompile(`^(?:\(?(0(?:10|2\d|[3-9]\d{2}))\)?-?)?([2-9]\d{6,7})$`)
)

// CleanPhone reads a mobile number (13800000000, +86 allowed) or a landline,
// with its area code (0575-85134612, (0575)85134612) or without (85134612).
// A landline with an area code is kept as 0575-85134612.
func CleanPhone(s string) (string, bool) {
	s = strings.NewReplacer(" ", "", "－", "-", "—", "-", "（", "(", "）", ")").Replace(FoldWidth(s))
	// Dashes group the digits as often as they set off an area code
	// (138-0000-0000, 0575-8513-4612).
	undashed := strings.ReplaceAll(s, "-", "")
	if m := mobileRe.FindStringSubmatch(undashed); m != nil {
		return m[1], true
	}
	m := landlineRe.FindStringSubmatch(s)
	if m == nil {
		m = landlineRe.FindStringSubmatch(undashed)
	}
	if m == nil {
		return "", false
	}
	if m[1] == "" {
		return m[2], true
	}
	return m[1] + "-" + m[2], true
}

var dateRe = regexp.MustCompile(`^(?:(\d{4})\s*[年./-]\s*)?(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*[日号]?$`)

// ParseDetailDate reads 2027-09-12, 2027/9/12, 2027年9月12日 or 9月12日 (in
// year) and returns it as 2027-09-12; ok is false for what is no date of
// the calendar (9月31日).
func ParseDetailDate(s string, year int) (string, bool) {
	m := dateRe.FindStringSubmatch(strings.TrimSpace(FoldWidth(s)))
	if m == nil {
		return "", false
	}
	y := year
	if m[1] != "" {
		y, _ = strconv.Atoi(m[1])
	}
	mo, _ := strconv.Atoi(m[2])
	d, _ := strconv.Atoi(m[3])
	if y < 2000 || y > 2100 {
		return "", false
	}
	t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
	if t.Year() != y || int(t.Month()) != mo || t.Day() != d {
		return "", false
	}
	return t.Format("2006-01-02"), true
}
