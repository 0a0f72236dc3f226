package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	db := func(name string) string { return fmt.Sprintf("[database]\npath = %q\n", filepath.Join(dir, name)) }
	backups := fmt.Sprintf("[backup]\ndir = %q\n", filepath.Join(dir, "backups"))
	for _, tc := range []struct {
		name   string
		config string
		want   string // in stdout, or in the error
		fail   bool
	}{
		{"good", db("tsbot.db") + backups, "检查通过", false},
		{"bad date", "[campaign]\nlists_due = \"2027-09-31\"\n", "campaign.lists_due", true},
		{"bad backup time", db("b.db") + backups + "time = \"2:30pm\"\n", "backup.time", true},
		{"unknown driver", "[database]\ndriver = \"mysql\"\n", "database.driver", true},
		{"postgres without dsn", "[database]\ndriver = \"postgres\"\n", "database.dsn", true},
		// Nothing listens on port 1: PostgreSQL is down at start-up.
		{"postgres down", "[database]\ndriver = \"postgres\"\ndsn = \"host=127.0.0.1 port=1 user=tsbot dbname=tsbot sslmode=disable connect_timeout=5\"\n", "database.dsn: PostgreSQL does not answer", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".toml")
			if err := os.WriteFile(cfg, []byte(tc.config), 0o600); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			getenv := func(string) string { return "" }
			err := run(context.Background(), []string{"check", "-config", cfg}, getenv, strings.NewReader(""), &stdout, &stderr)
			if tc.fail {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("err = %v, want one naming %q\n%s", err, tc.want, stdout.String())
				}
				return
			}
			if err != nil || !strings.Contains(stdout.String(), tc.want) {
				t.Errorf("err = %v\n%s", err, stdout.String())
			}
		})
	}
}
