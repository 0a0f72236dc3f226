package export

import (
	"context"
	"testing"

	"github.com/xuri/excelize/v2"

	"tsbot/data"
)

func TestExpCells(t *testing.T) {
	c := campaign(t)
	s := openStore(t, c)
	seed(t, s)
	rows := [][]any{
		{1, "柯桥", "甲一有限公司", 913101106660072170.0},
		{2, "柯桥", "甲二有限公司", "91310110666007217t"},
		{3, "柯桥", "甲三有限公司", "９１３１０１１０６６６００７２１７Ｔ"},
		{4, "柯桥", "甲四有限公司", "9131 0110 6660 0721 7T"},
		{5, "柯桥", "甲五有限公司", "", "", "", "", 57585134612.0},
		{6, "柯桥", "甲六有限公司", "", "", "", "", 13800000000.0},
		{7, "柯桥", "甲七有限公司\u200b"},
		{8, "柯桥", "甲八\n有限公司"},
		{9, "柯桥", "<b>甲九</b>有限公司"},
		{10, "柯桥", "甲纺织有限公司\u200b"},
		{11, "柯桥", "丁机械有限公司\u00a0"},
		{12},
		{13, "越城"},
		{14, "柯桥", "甲十有限公司", "", "", "", "", "138 0000 0000"},
		{15, "柯桥", "甲十一有限公司", "", "", "", "", "", "2027/9/12"},
		{16, "柯桥", "甲十二有限公司", "", "", "", "", "", "2027年9月12日"},
		{17, "柯桥", "甲十三有限公司", "", "", "", "", "", "2027.9.12"},
		{18, "柯桥", "甲十四有限公司", "", "", "", "", "", 20270912},
		{19, "柯桥", "丁机械有限公司\u2060"},
		{20, "柯桥", "丁機械有限公司"},
		{21, "柯桥", "甲十五有限公司", "", "", "", "", 1.38e10},
		{22, "柯桥", "=HYPERLINK(\"x\")"},
		{23, "柯桥", "共3家；其中1家未具名"},
	}
	raw := sheetFile(t, "专项辅导名单", rows, func(f *excelize.File) {})
	got, err := ReadImport(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range got {
		t.Logf("row %d: name %q credit %q phone %q date %q", r.Row, r.Name, r.Values[data.DetailCreditCode], r.Values[data.DetailPhone], r.Values[data.DetailDate])
	}
	plan, err := s.PlanImport(context.Background(), c, data.Person{UserID: 200, Role: data.RoleCounty, County: "柯桥"}, got)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range plan.New {
		t.Logf("new %d %q %+v", n.Row, n.Name, n.Values)
	}
	for _, n := range plan.Changes {
		t.Logf("change %d %q %+v", n.Row, n.Name, n.Values)
	}
	for _, e := range plan.Errors {
		t.Logf("error %d %s", e.Row, e.Reason)
	}
}
