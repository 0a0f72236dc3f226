package grammar

import (
	"fmt"
	"strings"

	"tsbot/data"
)

// sampleLine writes a line to copy: county (柯桥 if none), indicator (辅导企业 if
// ind < 0), amount.
func sampleLine(county string, ind data.Indicator, amount string) string {
	if county == "" {
		county = "柯桥"
	}
	name := "辅导企业"
	if ind.Valid() {
		name = IndicatorLabel(ind)
	}
	return county + " " + name + " " + amount
}

// IndicatorLabel is the name staff type most for each indicator.
func IndicatorLabel(ind data.Indicator) string {
	if ind == data.Tutoring {
		return "辅导企业"
	}
	return ind.Name()
}

type amountErrKind int

const (
	errNonNumeric amountErrKind = iota
	errDecimal
	errApprox
	errNegativeTotal
	errNoNumber
	errTwoAmounts // the text is the second amount
	errThousands  // 1,000: a thousands separator, or a number and a name?
)

type amountErr struct {
	kind amountErrKind
	text string
}

func (e *amountErr) message(county string, ind data.Indicator) string {
	add, set := sampleLine(county, ind, "+3"), sampleLine(county, ind, "=12")
	switch e.kind {
	case errDecimal:
		return fmt.Sprintf("数量“%s”要写整数。请这样写：%s（新增）或 %s（累计）", e.text, add, set)
	case errApprox:
		return fmt.Sprintf("数量“%s”不是确切的数。请写确切数字：%s（新增）或 %s（累计）", e.text, add, set)
	case errNegativeTotal:
		return fmt.Sprintf("累计数不能是负数（%s）。要减少请写：%s", e.text, sampleLine(county, ind, "-1"))
	case errNoNumber:
		return fmt.Sprintf("“%s”后面没写数量。请这样写：%s（新增）或 %s（累计）", e.text, add, set)
	case errTwoAmounts:
		return fmt.Sprintf("一行只能写一个数量，“%s”是第二个。请只写一个：%s（新增）或 %s（累计）", e.text, add, set)
	case errThousands:
		plain := strings.ReplaceAll(e.text, ",", "")
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, plain)
		return fmt.Sprintf("数量“%s”里的逗号看不懂。如果是%s，请不加逗号写：%s", e.text, digits, sampleLine(county, ind, plain))
	}
	return fmt.Sprintf("没看懂数量“%s”。请写数字：%s（新增）或 %s（累计）", e.text, add, set)
}
