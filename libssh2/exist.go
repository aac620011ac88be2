package libssh2

import (
	"context"
	"errors"
	"io/fs"
)

// existError makes errors.Is(err, fs.ErrExist) true where the server's only answer is
// LIBSSH2_FX_FAILURE although target exists. SFTP version 3 has no "already exists" status, so
// OpenSSH's sftp-server (and dropbear, which runs it) answers FAILURE to a Mkdir of an existing
// path, an exclusive create of an existing file and a Rename onto an existing path; ProFTPD answers
// FILE_ALREADY_EXISTS, which needs nothing. The cause is found with an Lstat of target; the *Error
// keeps the server's status and gains fs.ErrExist as its Err. Any other error is returned as it is.
// The Lstat is bounded by ctx. The caller holds no lock.
func (sf *SFTP) existError(ctx context.Context, err error, target string) error {
	var e *Error
	if !errors.As(err, &e) || !e.hasStatus() || e.Status != FXFailure || e.Err != nil {
		return err
	}
	if _, lerr := sf.LstatContext(ctx, target); lerr != nil {
		return err
	}
	c := *e
	c.Err = fs.ErrExist
	return &c
}
