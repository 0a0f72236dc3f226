package export

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"tsbot/data"
)

// WriteFile is the export subcommand: it writes the lists' spreadsheet, of the city or one county.
func WriteFile(ctx context.Context, store *data.Store, c *data.Campaign, county, out string, stdout io.Writer) error {
	if out == "" {
		return errors.New("export: -out FILE is required (- for stdout)")
	}
	if county != "" {
		co, ok := c.County(county)
		if !ok {
			return fmt.Errorf("export: -county %q: no such county", county)
		}
		county = co.Name
	}
	now := store.Now()
	in, err := Load(ctx, store, c, county, now)
	if err != nil {
		return err
	}
	if out == "-" {
		return Workbook(stdout, in)
	}
	var buf bytes.Buffer
	if err := Workbook(&buf, in); err != nil {
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(stdout, "已导出：%s（%d字节）\n", out, buf.Len())
	return nil
}
