package vetdriver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/tools/go/packages"
)

// The result cache: go vet replays cached results when nothing changed;
// ormshift vet does the same for a whole run. The key covers the ormshift
// binary, the configuration, the working directory, the go command's
// environment, the contents of every file of the analyzed packages and the
// identity (module version, or path, size and modification time of each
// file) of every dependency. Any change analyzes everything again.

// cacheDir returns the cache directory ($ORMSHIFT_CACHE, else the user
// cache directory + /ormshift/vet); "off" disables caching.
func cacheDir() (string, bool) {
	if d := os.Getenv("ORMSHIFT_CACHE"); d != "" {
		if d == "off" {
			return "", false
		}
		return d, true
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", false
	}
	return filepath.Join(base, "ormshift", "vet"), true
}

// runKey computes the cache key of a run, from a cheap load (no type
// checking, no build).
func runKey(ctx context.Context, cfg *Config, analyzers []string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "ormshift vet cache v2\n")
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("cache key: %w", err)
	}
	if err := hashStat(h, exe); err != nil {
		return "", err
	}
	dir := cfg.Dir
	if dir == "" {
		if dir, err = os.Getwd(); err != nil {
			return "", fmt.Errorf("cache key: %w", err)
		}
	}
	fmt.Fprintf(h, "dir %s\npatterns %q\ntests %v\nflags %q\nanalyzers %q\nenable %q\ndisable %q\n",
		dir, cfg.Patterns, cfg.Tests, cfg.BuildFlags, analyzers, cfg.Enable, cfg.Disable)
	env := cfg.Env
	if env == nil {
		env = os.Environ()
	}
	var goenv []string
	for _, e := range env {
		if strings.HasPrefix(e, "GO") || strings.HasPrefix(e, "CGO_") || strings.HasPrefix(e, "CC=") || strings.HasPrefix(e, "PATH=") {
			goenv = append(goenv, e)
		}
	}
	sort.Strings(goenv)
	fmt.Fprintf(h, "env %q\n", goenv)
	patterns := cfg.Patterns
	if len(patterns) == 0 {
		patterns = []string{"."}
	}
	pkgs, err := packages.Load(&packages.Config{
		Context: ctx, Dir: cfg.Dir, Env: cfg.Env, Tests: cfg.Tests, BuildFlags: cfg.BuildFlags,
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedImports | packages.NeedDeps | packages.NeedModule,
	}, patterns...)
	if err != nil {
		return "", fmt.Errorf("cache key: %w", err)
	}
	roots := map[*packages.Package]bool{}
	for _, p := range pkgs {
		roots[p] = true
	}
	var ids []string
	all := map[string]*packages.Package{}
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		if _, ok := all[p.ID]; !ok {
			all[p.ID] = p
			ids = append(ids, p.ID)
		}
	})
	sort.Strings(ids)
	goMods := map[string]bool{}
	for _, id := range ids {
		p := all[id]
		fmt.Fprintf(h, "pkg %s root=%v errors=%d\n", id, roots[p], len(p.Errors))
		for _, e := range p.Errors {
			fmt.Fprintf(h, "error %s\n", e)
		}
		files := append(append(append([]string(nil), p.GoFiles...), p.OtherFiles...), p.EmbedFiles...)
		sort.Strings(files)
		if m := p.Module; m != nil && m.Main && m.GoMod != "" && !goMods[m.GoMod] {
			// go.mod's go line sets the language version of type checking.
			goMods[m.GoMod] = true
			if err := hashContent(h, m.GoMod); err != nil {
				return "", err
			}
		}
		switch {
		case roots[p] || (p.Module != nil && (p.Module.Main || (p.Module.Replace != nil && p.Module.Replace.Version == ""))):
			// The analyzed packages, the other packages of the main
			// module (their facts) and local replacements: by content.
			for _, f := range files {
				if err := hashContent(h, f); err != nil {
					return "", err
				}
			}
		case inModCache(p.Module):
			// A module version in the module cache never changes.
			fmt.Fprintf(h, "module %s@%s %s\n", p.Module.Path, p.Module.Version, p.Module.Dir)
		default:
			for _, f := range files {
				if err := hashStat(h, f); err != nil {
					return "", err
				}
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// inModCache reports whether m is a module version extracted in the
// module cache (path@version, read-only), not a vendored or replaced copy
// that may be edited.
func inModCache(m *packages.Module) bool {
	if m == nil || m.Main || m.Replace != nil || m.Version == "" || m.Dir == "" {
		return false
	}
	return strings.HasSuffix(filepath.ToSlash(m.Dir), "@"+m.Version)
}

func hashStat(w io.Writer, name string) error {
	fi, err := os.Stat(name)
	if err != nil {
		return fmt.Errorf("cache key: %w", err)
	}
	fmt.Fprintf(w, "stat %s %d %d\n", name, fi.Size(), fi.ModTime().UnixNano())
	return nil
}

func hashContent(w io.Writer, name string) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("cache key: %w", err)
	}
	defer f.Close()
	fmt.Fprintf(w, "file %s\n", name)
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("cache key: %s: %w", name, err)
	}
	return nil
}

func cachePath(key string) (string, bool) {
	dir, ok := cacheDir()
	if !ok || key == "" {
		return "", false
	}
	return filepath.Join(dir, key[:2], key+".json"), true
}

// loadCached returns the cached report of key.
func loadCached(key string) (*Report, bool) {
	p, ok := cachePath(key)
	if !ok {
		return nil, false
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, false
	}
	var rep Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, false
	}
	rep.Cached = true
	now := time.Now()
	_ = os.Chtimes(p, now, now) // used: keep it through trimming
	return &rep, true
}

// cacheMaxAge is how long an entry no run has used stays in the cache.
const cacheMaxAge = 5 * 24 * time.Hour

// trimCache deletes, at most once a day, the entries no run has used for
// cacheMaxAge (as the go command trims its build cache).
func trimCache(dir string) {
	marker := filepath.Join(dir, "trim.txt")
	if fi, err := os.Stat(marker); err == nil && time.Since(fi.ModTime()) < 24*time.Hour {
		return
	}
	_ = os.WriteFile(marker, []byte(time.Now().Format(time.RFC3339)+"\n"), 0o644)
	cutoff := time.Now().Add(-cacheMaxAge)
	entries, _ := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	for _, e := range entries {
		if fi, err := os.Stat(e); err == nil && fi.ModTime().Before(cutoff) {
			_ = os.Remove(e)
		}
	}
}

// storeCached saves a report under key (best effort: a cache that cannot
// be written only costs time).
func storeCached(key string, rep *Report) {
	p, ok := cachePath(key)
	if !ok {
		return
	}
	data, err := json.Marshal(rep)
	if err != nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return
	}
	_ = writeAtomic(p, data)
	if dir, ok := cacheDir(); ok {
		trimCache(dir)
	}
}
