package workbook

import (
	"strings"
	"time"

	"syncgap/pipeline"
)

// Plain words for the enum values a change board meets. The Decision brief
// uses only these, never the enum strings; the Glossary gives both.

// outcomeWords names a forecast outcome in the scenario table: what becomes
// of a cloud value. The second string explains it.
var outcomeWords = map[pipeline.CloudOutcome][2]string{
	pipeline.Lost:           {"Numbers lost", "a number deleted, or replaced by text that is no phone number"},
	pipeline.Changed:        {"Numbers changed", "a number replaced by a different one"},
	pipeline.Filled:         {"Numbers added", "a number where the cloud had none, or one more"},
	pipeline.Reformatted:    {"Numbers reformatted", "the same number, written differently"},
	pipeline.Cleaned:        {"Junk text removed", "text that is no phone number removed or replaced by a number"},
	pipeline.Unchanged:      {"Left as they are", "the cloud already holds what AD holds"},
	pipeline.UnknownOutcome: {"Unknown", "the cloud's value cannot be read, so what the switch does to it is unknown"},
}

func outcomeLabel(o pipeline.CloudOutcome) string {
	if w, ok := outcomeWords[o]; ok {
		return w[0]
	}
	return string(o)
}

// OutcomePhrase is one outcome as a short phrase for a table cell or the
// end of a sentence ("number lost"); the plan's "If approved" texts use it
// too, so the brief and the rows say an outcome the same way.
func OutcomePhrase(o pipeline.CloudOutcome) string {
	if w, ok := outcomeForms[o]; ok {
		return w[0]
	}
	return string(o)
}

// riskWords is a risk as an adjective ("high-risk").
func riskWords(r pipeline.Risk) string {
	switch r {
	case pipeline.RiskHigh, pipeline.RiskMedium, pipeline.RiskLow:
		return string(r) + "-risk"
	case pipeline.RiskNone:
		return "no-risk"
	}
	if r == "" {
		return "ungraded"
	}
	return string(r) + "-risk"
}

// utcTime is a read time as the brief shows it; the zero time is unknown.
func utcTime(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// plural picks the singular or plural form for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// joinValues is a value list in words: "a; b", "(none)" for an empty list,
// "unknown" for nil.
func joinValues(vals []string) string {
	if vals == nil {
		return "unknown"
	}
	if len(vals) == 0 {
		return "(none)"
	}
	return strings.Join(vals, "; ")
}
