package rewrite

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
)

// Status is what happened to a call site.
type Status string

const (
	StatusConverted Status = "converted"
	StatusSkipped   Status = "skipped"
	StatusMarked    Status = "marked" // skipped, with an ormshift:todo comment added (--mark)
)

// Site is one legacy call site and what rewrite did with it.
type Site struct {
	File   string `json:"file"` // slash path relative to the module root
	Line   int    `json:"line"`
	Column int    `json:"column"`
	Func   string `json:"func,omitempty"`
	Op     string `json:"op"`   // the legacy operation (Find, Create, ...)
	Rule   string `json:"rule"` // rewrite/find, rewrite/create, ...
	Status Status `json:"status"`
	Reason string `json:"reason,omitempty"` // why it was skipped
	// FlushChange says how --flush=deferred changes when this write
	// reaches the database (empty for reads and for immediate flushing).
	FlushChange string `json:"flush_change,omitempty"`
}

// Summary counts the sites. Sites, Converted, Skipped, Marked and Share
// count legacy call sites (what legacycall reports); the not-found checks
// (errors.Is(err, gorm.ErrRecordNotFound)) are counted apart.
type Summary struct {
	Sites     int            `json:"sites"`
	Converted int            `json:"converted"`
	Skipped   int            `json:"skipped"`
	Marked    int            `json:"marked"`
	Files     int            `json:"files_changed"`
	ByRule    map[string]int `json:"converted_by_rule"`
	// Share is converted / sites (0 when there are no sites).
	Share float64 `json:"share_converted"`
	// NotFoundChecks are the errors.Is(err, gorm.ErrRecordNotFound)
	// checks seen; NotFoundConverted those rewritten.
	NotFoundChecks    int `json:"not_found_checks"`
	NotFoundConverted int `json:"not_found_checks_converted"`
}

// Report is the per-site list and the counts, as --report=json writes it.
type Report struct {
	Module  string  `json:"module"`
	Sites   []Site  `json:"sites"`
	Summary Summary `json:"summary"`
}

func summarize(sites []Site, files int) Summary {
	s := Summary{Sites: len(sites), Files: files, ByRule: map[string]int{}}
	for _, x := range sites {
		if x.Rule == ruleNotFound {
			s.Sites--
			s.NotFoundChecks++
			if x.Status == StatusConverted {
				s.NotFoundConverted++
			}
			continue
		}
		switch x.Status {
		case StatusConverted:
			s.Converted++
			s.ByRule[x.Rule]++
		case StatusSkipped:
			s.Skipped++
		case StatusMarked:
			s.Marked++
		}
	}
	if s.Sites > 0 {
		s.Share = float64(s.Converted) / float64(s.Sites)
	}
	return s
}

func sortSites(sites []Site) {
	sort.SliceStable(sites, func(i, j int) bool {
		a, b := sites[i], sites[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	return nil
}

// WriteText writes one line per site that was not converted (and, with
// all, per converted site too), then the counts.
func (r *Report) WriteText(w io.Writer, all bool) error {
	for _, s := range r.Sites {
		if s.Status == StatusConverted && !all {
			continue
		}
		msg := fmt.Sprintf("%s:%d:%d: %s %s %s", s.File, s.Line, s.Column, s.Rule, s.Op, s.Status)
		if s.Reason != "" {
			msg += ": " + s.Reason
		}
		if s.FlushChange != "" {
			msg += " [flush: " + s.FlushChange + "]"
		}
		if _, err := fmt.Fprintln(w, msg); err != nil {
			return err
		}
	}
	sm := r.Summary
	_, err := fmt.Fprintf(w, "%d legacy call sites: %d converted (%.1f%%), %d skipped, %d marked; %d of %d not-found checks rewritten; %d files changed\n",
		sm.Sites, sm.Converted, 100*sm.Share, sm.Skipped, sm.Marked, sm.NotFoundConverted, sm.NotFoundChecks, sm.Files)
	return err
}
