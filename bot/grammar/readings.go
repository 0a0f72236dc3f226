package grammar

import (
	"fmt"
	"strings"

	"tsbot/data"
)

// edit replaces s[at:end] of a folded part with text.
type edit struct {
	at, end int
	text    string
}

// askReading asks which reading a line has: the level of a bare 示范站, the
// meaning of a bare number, or both at once (so every option is final). Each
// option is a list of edits to the folded part, in order; parseMessage maps
// them back onto the user's own text.
func askReading(sc lineScan, indName string) (*Ambiguity, [][]edit) {
	type choice struct {
		label string
		e     []edit
	}
	levels, ops := []choice{{}}, []choice{{}}
	if st := sc.station; st != nil {
		levels = nil
		for _, ind := range []data.Indicator{data.ProvincialStation, data.CityStation} {
			levels = append(levels, choice{ind.Name(), []edit{{st.start, st.end, ind.Name()}}})
		}
	}
	n := sc.num
	if !n.explicit {
		ops = []choice{
			{fmt.Sprintf("新增%d", n.value), []edit{{n.start, n.start, "+"}}},
			{fmt.Sprintf("累计共%d", n.value), []edit{{n.start, n.start, "="}}},
		}
	}
	var q string
	switch {
	case sc.station != nil && !n.explicit:
		q = fmt.Sprintf("“%s”是省级还是市县级？“%s”是新增还是累计总数？", sc.station.text, n.text)
	case sc.station != nil:
		q = fmt.Sprintf("“%s”是省级示范站，还是市县级示范站？", sc.station.text)
	default:
		q = fmt.Sprintf("%s“%s”是新增%d，还是累计共%d？", indName, n.text, n.value, n.value)
	}
	a := &Ambiguity{Question: q}
	var edits [][]edit
	for _, lv := range levels {
		for _, op := range ops {
			e := append(append([]edit{}, lv.e...), op.e...)
			// The station and the number never overlap; apply them in order.
			if len(e) == 2 && e[1].at < e[0].at {
				e[0], e[1] = e[1], e[0]
			}
			edits = append(edits, e)
			a.Labels = append(a.Labels, strings.TrimSpace(lv.label+" "+op.label))
		}
	}
	return a, edits
}

// applyEdits rewrites orig, whose folded form maps back through at (see
// foldLineMap), with edits given in folded offsets.
func applyEdits(orig string, at []int, edits []edit) string {
	var b strings.Builder
	pos := 0
	for _, e := range edits {
		b.WriteString(orig[pos:at[e.at]])
		b.WriteString(e.text)
		pos = at[e.end]
	}
	b.WriteString(orig[pos:])
	return b.String()
}
