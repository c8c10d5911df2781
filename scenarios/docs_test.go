package scenarios

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readDoc returns docs/scenario-format.md, or skips when it is absent.
func readDoc(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "docs", "scenario-format.md"))
	if err != nil {
		t.Skipf("docs not found: %v", err)
	}
	return string(data)
}

// codeBlock returns the first fenced block of the given language after
// the heading.
func codeBlock(t *testing.T, doc, heading, lang string) string {
	t.Helper()
	i := strings.Index(doc, heading)
	if i < 0 {
		t.Fatalf("no %q in the docs", heading)
	}
	fence := "```" + lang + "\n"
	j := strings.Index(doc[i:], fence)
	if j < 0 {
		t.Fatalf("no %s block after %q", lang, heading)
	}
	start := i + j + len(fence)
	end := strings.Index(doc[start:], "```")
	return doc[start : start+end]
}

// TestDocumentedExampleRunsAndPasses keeps the full example of the format
// page honest: it parses without warnings and meets its expectations.
func TestDocumentedExampleRunsAndPasses(t *testing.T) {
	doc := readDoc(t)
	s, err := Parse("example.yaml", []byte(codeBlock(t, doc, "## A full example", "yaml")))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Warnings) > 0 {
		t.Errorf("warnings: %q", s.Warnings)
	}
	out, err := s.Run(RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range out.Checks {
		if !c.Passed {
			t.Errorf("%s: got %s", c.Expectation.Text, c.Got)
		}
	}
}

// TestDocumentedErrorsAreTested checks that every error message the format
// page quotes is one the error tests assert, word for word.
func TestDocumentedErrorsAreTested(t *testing.T) {
	doc := readDoc(t)
	src, err := os.ReadFile("errors_test.go")
	if err != nil {
		t.Fatal(err)
	}
	tests := string(src)
	for _, line := range strings.Split(strings.TrimSpace(codeBlock(t, doc, "## Errors", "")), "\n") {
		if !strings.Contains(tests, "`"+line+"`") {
			t.Errorf("documented error not tested: %s", line)
		}
	}
}
