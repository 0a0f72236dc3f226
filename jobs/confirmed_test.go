package jobs

import (
	"context"
	"strings"
	"testing"

	"tsbot/data"
)

// The digest says which counties have confirmed their lists.
func TestContactDigestSaysWhoConfirmed(t *testing.T) {
	s, all := snapshot(t, nil, "2027-09-22 09:00")
	s.Confirmed = map[string]bool{"柯桥": true, "诸暨": true}
	golden(t, "contact_digest_d7_confirmed", ContactDigest(s, find(t, all, "contact_digest:2027-09-30:d-7")))
}

// The runner reads the confirmations from the store.
func TestRunAtDigestReadsConfirmations(t *testing.T) {
	f := newFixture(t, nil)
	now := local("2027-09-22 09:00")
	ctx := context.Background()
	if _, err := f.store.Confirm(ctx, data.Author{UserID: admin, Name: "凌晓波"}, "柯桥", 0); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	mustRun(t, f.runner(t, rec, now), now)
	ms := rec.messages()
	if len(ms) == 0 || !strings.Contains(ms[0].text, "名单已确认：柯桥\n未确认：越城、上虞、诸暨、新昌、嵊州") {
		t.Errorf("digest:\n%v", ms)
	}
}
