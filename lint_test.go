// Package ctsim_test holds repository-wide checks of the house rules that
// no single package can check for itself (STYLE.md lesson 5, DESIGN.md
// "Nothing below cmd prints or exits").
package ctsim_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// libraryGoFiles returns the non-test Go files of every package below the
// repository root except cmd/.
func libraryGoFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path == "cmd" || name == "testdata" || (strings.HasPrefix(name, ".") && path != ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") && filepath.Dir(path) != "." {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("found no library Go files; is the test running from the repository root?")
	}
	return files
}

// TestLibrariesNeverReadTheWallClock checks that model time is always an
// argument: time.Now appears only in cmd/ (STYLE.md lesson 5, anti-pattern 1).
func TestLibrariesNeverReadTheWallClock(t *testing.T) {
	forbidden := regexp.MustCompile(`\btime\.(Now|Since|Until|Sleep|After|Tick|NewTimer|NewTicker)\(`)
	for _, f := range libraryGoFiles(t) {
		checkNoMatch(t, f, forbidden, "reads the wall clock; pass a packet.Time instead")
	}
}

// TestLibrariesNeverPrintOrExit checks DESIGN.md's rule that nothing below
// cmd/ prints or exits: libraries return errors and data.
func TestLibrariesNeverPrintOrExit(t *testing.T) {
	forbidden := regexp.MustCompile(`\b(fmt\.Print(f|ln)?\(|os\.Exit\(|log\.(Print|Fatal|Panic)(f|ln)?\(|os\.Std(out|err)\b)`)
	for _, f := range libraryGoFiles(t) {
		checkNoMatch(t, f, forbidden, "prints or exits; only cmd/ may")
	}
}

// TestEveryPackageHasDocGo checks that each package directory carries a
// doc.go saying what the package is for.
func TestEveryPackageHasDocGo(t *testing.T) {
	dirs := map[string]bool{}
	for _, f := range libraryGoFiles(t) {
		dirs[filepath.Dir(f)] = true
	}
	for d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "doc.go")); err != nil {
			t.Errorf("package %s has no doc.go", d)
		}
	}
}

func checkNoMatch(t *testing.T, file string, re *regexp.Regexp, why string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "//") {
			continue
		}
		if re.MatchString(line) {
			t.Errorf("%s:%d: %s: %s", file, i+1, why, trimmed)
		}
	}
}
