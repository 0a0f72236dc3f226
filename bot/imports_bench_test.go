package bot

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"tsbot/data"
)

// importFile5000 is a 柯桥 专项辅导名单 of data.MaxImportRows enterprises,
// every column filled in, each credit code with its right check character.
func importFile5000(b *testing.B) []byte {
	b.Helper()
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "专项辅导名单"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		b.Fatal(err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		b.Fatal(err)
	}
	head := []any{"序号", "区县", "单位名称", "统一社会信用代码", "类型/级别", "地址", "联系人", "联系电话", "辅导日期", "辅导方式", "备注"}
	if err := sw.SetRow("A1", head); err != nil {
		b.Fatal(err)
	}
	for i := range data.MaxImportRows {
		code := fmt.Sprintf("913306%011d", i)
		c, _ := data.CreditCheckChar(code)
		row := []any{i + 1, "柯桥", fmt.Sprintf("第%04d号纺织有限公司", i), code + string(c), "有限责任公司", fmt.Sprintf("柯桥区华舍街道%d号", i),
			"张三", fmt.Sprintf("139%08d", i), "2027-09-12", "上门辅导", ""}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func sendImport(b *testing.B, h *Handler, raw []byte, id int64) Reply {
	b.Helper()
	r := h.Handle(context.Background(), Message{UserID: keqiao, UserName: "张三", ChatID: keqiao, MessageID: id,
		File: &File{Name: "柯桥名单.xlsx", Size: int64(len(raw)), Fetch: fetchOf(raw)}})
	if len(r.Buttons) != 1 || !strings.HasPrefix(r.Text, "📋 导入核对：柯桥名单.xlsx\n5000家新单位") {
		b.Fatalf("preview %q", r.Text[:min(len(r.Text), 200)])
	}
	return r
}

// BenchmarkImport5000 is a file of 5,000 rows: read, checked and previewed
// (the preview staged for its 确认导入), then confirmed (checked again
// against the lists, and written as one batch: the names, their count,
// 35,000 attributes).
func BenchmarkImport5000(b *testing.B) {
	raw := importFile5000(b)
	b.Run("preview", func(b *testing.B) {
		f := newBenchFixture(b)
		b.ResetTimer()
		for i := range b.N {
			sendImport(b, f.h, raw, int64(i+1))
		}
	})
	b.Run("apply", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			f := newBenchFixture(b)
			r := sendImport(b, f.h, raw, 1)
			b.StartTimer()
			got := f.h.HandlePress(context.Background(), Press{UserID: keqiao, ChatID: keqiao, Data: r.Buttons[0].Data})
			if !strings.HasPrefix(got.Text, "✅ 已导入") {
				b.Fatalf("confirm %q", got.Text)
			}
		}
	})
}
