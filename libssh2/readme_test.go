package libssh2_test

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReadmeQuickStart checks that the program in the README's Quick start is Example with its first
// line (the hook that gives `go test` its server) replaced by the lines that example_test.go's
// comment tells a reader to write, and that it type-checks: the README shows the program that `go
// test` runs.
func TestReadmeQuickStart(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)\n## Quick start\n.*?\n```go\n(.*?)\n```\n").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no ```go block under ## Quick start")
	}
	program := string(m[1])
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "quickstart.go", program, 0)
	if err != nil {
		t.Fatalf("the README's Quick start does not parse: %v", err)
	}
	conf := types.Config{Importer: importer.ForCompiler(fset, "source", nil)}
	if _, err := conf.Check("main", fset, []*ast.File{f}, nil); err != nil {
		t.Errorf("the README's Quick start does not type-check: %v", err)
	}

	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	// The lines the file's comment gives for the hook: its indented code block.
	var hook []string
	for _, l := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(l, "func ") {
			break
		}
		if rest, ok := strings.CutPrefix(l, "//\t"); ok {
			hook = append(hook, "\t"+rest)
		}
	}
	example := funcBody(t, string(src), "Example")
	if len(example) == 0 || !strings.Contains(example[0], "exampleTarget()") {
		t.Fatalf("Example does not start with the exampleTarget hook: %q", example)
	}
	for i, l := range example {
		if strings.TrimSpace(l) == "// Output:" {
			example = example[:i]
			break
		}
	}
	want := append(hook, example[1:]...)
	if diff := cmp.Diff(want, funcBody(t, program, "main")); diff != "" {
		t.Errorf("README.md's Quick start is not Example with its hook written out (-want +README):\n%s", diff)
	}
}

// funcBody returns the lines between the braces of the function name in the Go source src.
func funcBody(t *testing.T, src, name string) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == name && fd.Recv == nil {
			body := src[fset.Position(fd.Body.Lbrace).Offset+1 : fset.Position(fd.Body.Rbrace).Offset]
			return strings.Split(strings.Trim(body, "\n"), "\n")
		}
	}
	t.Fatalf("no func %s", name)
	return nil
}
