package errmap

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNames(t *testing.T) {
	got := []string{SFTPProtocol.String(), EAGAIN.String(), Code(-99).String(), FXNoSuchFile.String(), Status(99).String()}
	want := []string{"LIBSSH2_ERROR_SFTP_PROTOCOL", "LIBSSH2_ERROR_EAGAIN", "LIBSSH2_ERROR(-99)", "LIBSSH2_FX_NO_SUCH_FILE", "LIBSSH2_FX(99)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	seen := map[string]bool{}
	for _, c := range Codes() {
		if seen[c.String()] || c.Meaning() == "" || c.Since() == "" {
			t.Errorf("code %d: name %q duplicate or meaning/since missing", int(c), c)
		}
		seen[c.String()] = true
	}
	if len(Codes()) != 55 || len(Statuses()) != 22 {
		t.Errorf("%d codes and %d statuses, want 55 and 22", len(Codes()), len(Statuses()))
	}
}

func TestIs(t *testing.T) {
	for _, tc := range []struct {
		err    error
		target error
		want   bool
	}{
		{FXNoSuchFile, fs.ErrNotExist, true},
		{FXNoSuchPath, fs.ErrNotExist, true},
		{FXPermissionDenied, fs.ErrPermission, true},
		{FXWriteProtect, fs.ErrPermission, true},
		{FXFileAlreadyExists, fs.ErrExist, true},
		{FXEOF, io.EOF, true},
		{FXFailure, fs.ErrNotExist, false},
		{Timeout, os.ErrDeadlineExceeded, true},
		{SocketTimeout, os.ErrDeadlineExceeded, true},
		{EAGAIN, ErrWouldBlock, true},
		{SFTPProtocol, fs.ErrNotExist, false},
		{AuthenticationFailed, ErrWouldBlock, false},
	} {
		if got := errors.Is(tc.err, tc.target); got != tc.want {
			t.Errorf("errors.Is(%v, %v) = %v, want %v", tc.err, tc.target, got, tc.want)
		}
	}
}
