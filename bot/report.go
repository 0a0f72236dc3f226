package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"tsbot/data"
)

// WriteReport is the report subcommand: the city table for scripts and
// dashboards, as JSON, CSV or the /status table.
func WriteReport(ctx context.Context, store *data.Store, c *data.Campaign, format string, stdout io.Writer) error {
	done, err := store.Totals(ctx)
	if err != nil {
		return err
	}
	r := data.BuildReport(c, done, store.Now())
	switch format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "csv":
		return r.WriteCSV(stdout)
	case "table":
		_, err := fmt.Fprintln(stdout, CityStatus(c, done, store.Now()))
		return err
	}
	return fmt.Errorf("report: -format %q: use table, json or csv", format)
}
