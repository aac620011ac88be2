package libssh2

import (
	"context"
	"io"
	"io/fs"
	"os"
	"sync"

	"github.com/seed191f4051/go-libssh2/cshim"
)

// Dir is an open directory on an SFTP server, read a chunk at a time with ReadDir, as
// os.File.ReadDir reads a local one: for directories too large to list at once (SFTP.ReadDir holds
// every entry in memory). It holds a directory handle (libssh2_sftp_open_ex with
// LIBSSH2_SFTP_OPENDIR) until Close; closing the SFTP or the Session closes it too, and so does
// the Session's next operation after the garbage collector finds a dropped Dir unreachable.
//
// A Dir is safe for concurrent use; its calls are serialized with all others on its Session.
type Dir struct {
	// f carries the handle through the operation frame: Close from another goroutine wakes a
	// waiting ReadDir, SFTP.Close and Session.Close close the handle, and an interrupted close is
	// finished later, all as for a File (file.go).
	f *File
	// rmu serializes ReadDir, taken before the session lock.
	rmu sync.Mutex
	// The fields below are guarded by the session lock: an interrupted libssh2_sftp_readdir_ex is
	// finished by whichever operation comes next (pending.go), whose done keeps the entry in held.
	buf   []byte // libssh2's name buffer: larger than any SFTP packet, so no name overflows it
	attrs cshim.Attributes
	held  []fs.DirEntry // entries read by an interrupted call, finished by another operation
	err   error         // the failure of such a call, for the next ReadDir
	eof   bool          // libssh2 said the listing is over
}

// OpenDir opens the named directory for reading with ReadDir (libssh2_sftp_open_ex with
// LIBSSH2_SFTP_OPENDIR). A missing directory is an error wrapping fs.ErrNotExist.
func (sf *SFTP) OpenDir(name string) (*Dir, error) {
	return sf.OpenDirContext(context.Background(), name)
}

// OpenDirContext is OpenDir (libssh2_sftp_open_ex with LIBSSH2_SFTP_OPENDIR) bounded by ctx as
// well.
func (sf *SFTP) OpenDirContext(ctx context.Context, name string) (*Dir, error) {
	const opname = "opendir"
	if sf == nil {
		return nil, errInvalid(opname, name, fs.ErrInvalid)
	}
	if err := checkPath(opname, name); err != nil {
		return nil, err
	}
	s := sf.s
	var o op
	if err := s.begin(&o, ctx, opname, name, sf, nil, dlSession); err != nil {
		return nil, err
	}
	defer s.end(&o)
	h, err := sf.openDirHandle(&o, name)
	if err != nil {
		return nil, err
	}
	f := &File{sf: sf, h: h, name: name, flag: os.O_RDONLY}
	f.good.Store(-1)
	sf.register(f)
	return &Dir{f: f, buf: make([]byte, cshim.SFTPPacketMaxlen+1)}, nil
}

// Name returns the name of the directory as given to OpenDir. It makes no libssh2 call.
func (d *Dir) Name() string {
	if d == nil {
		return ""
	}
	return d.f.name
}

// ReadDir reads the directory's next entries, in the server's order, without "." and "..", as
// os.File.ReadDir does (libssh2_sftp_readdir_ex; libssh2 asks the server for a batch of names,
// up to 100 from OpenSSH, when it has none left):
//
//   - n > 0: at most n entries. At the end of the directory it returns no entries and io.EOF;
//     an empty slice comes only with an error.
//   - n <= 0: all the entries left, and a nil error at the end of the directory.
//
// With an error (a deadline, a cancelled context, Close, the server's refusal) ReadDir also returns
// the entries read before it, which are valid. An interrupted read loses nothing: the entry that
// libssh2 was reading comes first from the next ReadDir. The entries' Info is the attributes the
// server sent with the listing, which describe a symbolic link itself, as Lstat does.
func (d *Dir) ReadDir(n int) ([]fs.DirEntry, error) {
	return d.ReadDirContext(context.Background(), n)
}

// ReadDirContext is ReadDir (libssh2_sftp_readdir_ex) bounded by ctx as well.
func (d *Dir) ReadDirContext(ctx context.Context, n int) ([]fs.DirEntry, error) {
	const opname = "readdir"
	if d == nil {
		return nil, errInvalid(opname, "", fs.ErrInvalid)
	}
	d.rmu.Lock()
	defer d.rmu.Unlock()
	var o op
	if err := d.f.begin(&o, ctx, opname, dlRead); err != nil {
		return nil, err
	}
	s := d.f.sf.s
	defer s.end(&o)
	// On a lane the readdir calls stand aside while they wait for their replies (lanes.go). One that
	// gives up there stays queued, and whoever finishes it keeps its entry for the next ReadDir
	// (finished).
	o.mayPark()
	var out []fs.DirEntry
	if len(d.held) > 0 { // finished by another operation (begin's finishPending included)
		k := len(d.held)
		if n > 0 {
			k = min(k, n)
		}
		out = append(out, d.held[:k]...)
		d.held = d.held[k:]
	}
	if d.err != nil {
		err := d.err
		d.err = nil
		return out, err
	}
	h := d.f.h
	read := func() int { return cshim.SFTPReaddirEx(h, d.buf, &d.attrs) }
	for (n <= 0 || len(out) < n) && !d.eof {
		rc, err := o.call(read, d.finished)
		if err != nil {
			return out, err
		}
		if rc < 0 {
			return out, o.sftpFail(rc)
		}
		if e, ok := d.entry(rc); ok {
			out = append(out, e)
		}
	}
	if n > 0 && len(out) == 0 {
		return nil, io.EOF
	}
	if out == nil {
		out = []fs.DirEntry{}
	}
	return out, nil
}

// entry takes the result rc of a libssh2_sftp_readdir_ex into d.buf: an entry, or nothing for the
// end of the listing, ".", or "..". The caller holds the session lock.
func (d *Dir) entry(rc int) (fs.DirEntry, bool) {
	if rc == 0 {
		d.eof = true
		return nil, false
	}
	name := string(d.buf[:min(rc, len(d.buf))])
	if name == "." || name == ".." {
		return nil, false
	}
	return &dirEntry{fileInfo{name: name, st: newFileStat(&d.attrs)}}, true
}

// finished takes the result of d's interrupted libssh2_sftp_readdir_ex, finished by another
// operation: the entry is kept for the next ReadDir, and so is a failure. The caller holds the
// session lock.
func (d *Dir) finished(rc int) {
	if rc < 0 {
		if d.err == nil {
			d.err = d.f.sf.sftpError("readdir", d.f.name, rc, nil)
		}
		return
	}
	if e, ok := d.entry(rc); ok {
		d.held = append(d.held, e)
	}
}

// Close closes the directory handle (libssh2_sftp_close_handle). Like File.Close it may be called
// from another goroutine while a ReadDir waits, which then returns an error wrapping fs.ErrClosed;
// when the server does not answer in time, the handle's close is left to the next operation on the
// session. Closing a closed Dir returns an error wrapping fs.ErrClosed.
func (d *Dir) Close() error {
	if d == nil {
		return errInvalid("close", "", fs.ErrInvalid)
	}
	return d.f.Close()
}
