package libssh2_test

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seed191f4051/go-libssh2/internal/errmap"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

// publicConst is a constant of codes.go: its name, value and line comment.
type publicConst struct {
	name    string
	value   int64
	comment string
}

// codesConsts parses codes.go and returns its constants of type typ ("Code" or "Status"), keyed by
// value. Parsing the source, rather than listing the constants again here, is what lets the test
// see a code that has no constant.
func codesConsts(t *testing.T, typ string) map[int64][]publicConst {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), "codes.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64][]publicConst{}
	for _, d := range file.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != typ {
				continue
			}
			if len(vs.Names) != 1 || len(vs.Values) != 1 {
				t.Fatalf("codes.go: one constant per line, please: %v", vs.Names)
			}
			v, err := literal(vs.Values[0])
			if err != nil {
				t.Fatalf("codes.go: %s: %v", vs.Names[0].Name, err)
			}
			c := publicConst{name: vs.Names[0].Name, value: v}
			if vs.Comment != nil {
				c.comment = strings.TrimSpace(vs.Comment.Text())
			}
			out[v] = append(out[v], c)
		}
	}
	return out
}

// literal evaluates a constant written as a (possibly negated) integer literal.
func literal(e ast.Expr) (int64, error) {
	sign := int64(1)
	if u, ok := e.(*ast.UnaryExpr); ok && u.Op == token.SUB {
		sign, e = -1, u.X
	}
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.INT {
		return 0, errors.New("not an integer literal")
	}
	v, err := strconv.ParseInt(lit.Value, 0, 64)
	return sign * v, err
}

// TestCodesHaveConstants: every code and status of internal/errmap (the table that cshim's tests
// check against the C header) has exactly one exported constant, whose doc comment gives the C name
// and the meaning (and the version for codes newer than 1.8), and the exported types answer
// String, Meaning, Since, Error and errors.Is as errmap does. No gaps, no strays.
func TestCodesHaveConstants(t *testing.T) {
	codes := codesConsts(t, "Code")
	for _, c := range errmap.Codes() {
		cs := codes[int64(c)]
		if len(cs) != 1 {
			t.Errorf("%s (%d): %d constants of type Code in codes.go, want 1: %v", c, int(c), len(cs), cs)
			continue
		}
		want := c.String() + ": " + c.Meaning()
		if c.Since() != "1.8.0 or earlier" {
			want += " (since libssh2 " + c.Since() + ")"
		}
		if cs[0].comment != want {
			t.Errorf("%s: comment %q, want %q", cs[0].name, cs[0].comment, want)
		}
		if !strings.HasPrefix(cs[0].name, "Error") {
			t.Errorf("%s: Code constants are named Error...", cs[0].name)
		}
		pc := libssh2.Code(c)
		got := []string{pc.String(), pc.Meaning(), pc.Since(), pc.Error()}
		if diff := cmp.Diff([]string{c.String(), c.Meaning(), c.Since(), c.Error()}, got); diff != "" {
			t.Errorf("libssh2.Code(%d) (-errmap +libssh2):\n%s", int(c), diff)
		}
		delete(codes, int64(c))
	}
	for v, cs := range codes {
		t.Errorf("codes.go: constants %v of value %d, which internal/errmap does not know", cs, v)
	}

	statuses := codesConsts(t, "Status")
	for _, s := range errmap.Statuses() {
		cs := statuses[int64(s)]
		if len(cs) != 1 {
			t.Errorf("%s (%d): %d constants of type Status in codes.go, want 1: %v", s, uint32(s), len(cs), cs)
			continue
		}
		if want := s.String() + ": " + s.Meaning(); cs[0].comment != want {
			t.Errorf("%s: comment %q, want %q", cs[0].name, cs[0].comment, want)
		}
		ps := libssh2.Status(s)
		got := []string{ps.String(), ps.Meaning(), ps.Error()}
		if diff := cmp.Diff([]string{s.String(), s.Meaning(), s.Error()}, got); diff != "" {
			t.Errorf("libssh2.Status(%d) (-errmap +libssh2):\n%s", uint32(s), diff)
		}
		delete(statuses, int64(s))
	}
	for v, cs := range statuses {
		t.Errorf("codes.go: constants %v of value %d, which internal/errmap does not know", cs, v)
	}

	// Unknown numbers keep their value.
	if got := []string{libssh2.Code(-99).String(), libssh2.Status(99).String()}; !cmp.Equal(got, []string{"LIBSSH2_ERROR(-99)", "LIBSSH2_FX(99)"}) {
		t.Errorf("unknown codes: %q", got)
	}
}

// TestCodesIs: the exported Code and Status values match the standard sentinels, and an *Error
// matches its own Code and Status.
func TestCodesIs(t *testing.T) {
	for _, tc := range []struct {
		err, target error
		want        bool
	}{
		{libssh2.ErrorTimeout, os.ErrDeadlineExceeded, true},
		{libssh2.ErrorSocketTimeout, os.ErrDeadlineExceeded, true},
		{libssh2.ErrorEAGAIN, libssh2.ErrWouldBlock, true},
		{libssh2.ErrorAuthenticationFailed, libssh2.ErrWouldBlock, false},
		{libssh2.FXNoSuchFile, fs.ErrNotExist, true},
		{libssh2.FXNoSuchPath, fs.ErrNotExist, true},
		{libssh2.FXPermissionDenied, fs.ErrPermission, true},
		{libssh2.FXWriteProtect, fs.ErrPermission, true},
		{libssh2.FXFileAlreadyExists, fs.ErrExist, true},
		{libssh2.FXEOF, io.EOF, true},
		{libssh2.FXFailure, fs.ErrNotExist, false},
		{&libssh2.Error{Op: "stat", Code: libssh2.ErrorSFTPProtocol, Status: libssh2.FXNoSuchFile}, libssh2.FXNoSuchFile, true},
		{&libssh2.Error{Op: "stat", Code: libssh2.ErrorSFTPProtocol, Status: libssh2.FXNoSuchFile}, libssh2.ErrorSFTPProtocol, true},
		{&libssh2.Error{Op: "stat", Code: libssh2.ErrorSFTPProtocol, Status: libssh2.FXNoSuchFile}, fs.ErrNotExist, true},
		{&libssh2.Error{Op: "auth", Code: libssh2.ErrorAuthenticationFailed}, libssh2.ErrorAuthenticationFailed, true},
		{&libssh2.Error{Op: "write", Code: libssh2.ErrorEAGAIN}, libssh2.ErrWouldBlock, true},
	} {
		if got := errors.Is(tc.err, tc.target); got != tc.want {
			t.Errorf("errors.Is(%v, %v) = %v, want %v", tc.err, tc.target, got, tc.want)
		}
	}
}
