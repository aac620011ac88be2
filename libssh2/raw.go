package libssh2

import (
	"context"
	"errors"
	"io"
	"io/fs"

	"github.com/seed191f4051/go-libssh2/cshim"
)

// The faithful calls: libssh2_sftp_write and libssh2_sftp_read with their C semantics, for code
// ported from C. Their bytes belong to the caller, so an interrupted one is finished as follows
// (docs/DESIGN.md, "Pending calls"):
//
//   - RawWrite: libssh2 has copied every byte it was given into its packets (fact 1), so another
//     operation finishes the call with a buffer of the same length whose bytes libssh2 skips
//     unread; the acknowledgements it collects are returned by the caller's next RawWrite.
//   - RawRead: another operation finishes the read into the File's own buffer, and the caller's
//     next RawRead or Read returns those bytes first.
//
// So the caller may repeat the call, as libssh2 asks, or do anything else on the session: nothing
// hangs and no byte is lost or doubled.

// RawWrite is libssh2_sftp_write with its exact semantics, for code ported from C. Most programs
// want Write or ReadFrom instead.
//
// libssh2 writes ahead: it cuts all of p that it has not seen yet into SFTP write packets of at most
// 30000 bytes, copies and queues them, sends what the socket takes, and returns the number of bytes
// the server has acknowledged since the last call, which may be less than len(p), and may be 0. The
// next call must pass the same bytes again, starting right after the acknowledged ones: libssh2 skips
// the bytes it already queued without reading them, so different bytes there are silently ignored and
// the file is corrupted. Everything passed is queued at once, so pass a bounded window, not a whole
// file. Before closing, repeat the call until every byte is acknowledged: closing discards what is
// still in flight and loses the server's answers to it.
//
// On a server error (err with Code ErrorSFTPProtocol and the SFTP status), libssh2 drops everything
// in flight and the file is known good up to the bytes acknowledged before; resume from there.
//
// RawWrite waits on the socket while libssh2 would block, bounded by the deadline. On a session set
// with SetNonblocking(true) it returns ErrWouldBlock (as an *Error with Code ErrorEAGAIN) instead:
// wait with Session.WaitSocket and call again with the same bytes. If another operation runs on
// the session first, it finishes the write itself, and the next RawWrite returns the bytes that
// were acknowledged meanwhile (without sending p again).
//
// After reading, RawWrite first drops the read-ahead (libssh2 keeps one request queue per handle
// for both directions) and writes at the File's offset, as Write does.
func (f *File) RawWrite(p []byte) (int, error) {
	if f == nil {
		return 0, errInvalid("write", "", fs.ErrInvalid)
	}
	s := f.sf.s
	var o op
	o.cont, o.nowait = pendRawWrite, s.nonblock.Load()
	if err := f.begin(&o, context.Background(), "write", dlWrite); err != nil {
		return 0, err
	}
	defer s.end(&o)
	if f.rawAcked > 0 {
		n := min(f.rawAcked, len(p))
		f.rawAcked -= n
		return n, nil
	}
	if f.rawPend != nil {
		s.dropPending(f.rawPend) // the caller repeats it now
		f.rawPend = nil
	}
	f.leaveReading()
	h := f.h
	call := func() int { return cshim.SFTPWrite(h, p) }
	var rc int
	if o.nowait {
		rc = call()
	} else {
		var err error
		if rc, err = s.call(&o.w, o.ch(), call); err != nil {
			e := o.interrupt(err, f.pendRawWrite(len(p)))
			e.Code = Code(cshim.ErrorEAGAIN) // repeat the call, as after LIBSSH2_ERROR_EAGAIN
			return 0, e
		}
	}
	if rc == cshim.ErrorEAGAIN {
		s.addPending(f.pendRawWrite(len(p)))
	}
	if rc < 0 {
		return 0, o.sftpFail(rc)
	}
	return rc, nil
}

// pendRawWrite makes the pending call of an interrupted RawWrite of n bytes (see above).
func (f *File) pendRawWrite(n int) *pending {
	h := f.h
	var zeros []byte
	acked := 0
	p := &pending{sf: f.sf, owner: f, kind: pendRawWrite}
	// It runs until all n bytes are acknowledged: a packet libssh2 sent only in part would let the
	// next request land inside it (docs/DESIGN.md, fact 11).
	p.call = func() int {
		if zeros == nil {
			zeros = make([]byte, n) // libssh2 reads none of it: every byte is queued already
		}
		for acked < n {
			rc := cshim.SFTPWrite(h, zeros[:n-acked])
			if rc <= 0 {
				if rc == 0 {
					rc = cshim.ErrorEAGAIN // nothing acknowledged yet: wait for the server
				}
				return rc
			}
			acked += rc
		}
		return acked
	}
	p.done = func(int) {
		f.rawPend = nil
		f.rawAcked += acked
	}
	f.rawPend = p
	return p
}

// RawRead is libssh2_sftp_read with its semantics, for code ported from C. Most programs want Read
// or WriteTo instead.
//
// libssh2 reads ahead: it keeps up to four times len(p) requested from the server (at most 8 MiB,
// in requests of at most 30000 bytes) and returns what has arrived, up to len(p) bytes, as soon as
// it has any; tiny buffers therefore make tiny requests. At end of file libssh2 returns 0, which
// RawRead reports as 0 and io.EOF. Bytes that Read or WriteTo buffered and have not returned yet
// come first, so RawRead and Read can be mixed.
//
// RawRead waits on the socket while libssh2 would block, bounded by the deadline, like Read; on a
// session set with SetNonblocking(true) it returns ErrWouldBlock (an *Error with Code ErrorEAGAIN)
// instead, with nothing read: wait with Session.WaitSocket and call RawRead again. Another
// operation on the session meanwhile finishes the read itself, and keeps the bytes for the next
// RawRead or Read.
func (f *File) RawRead(p []byte) (int, error) {
	if f == nil {
		return 0, errInvalid("read", "", fs.ErrInvalid)
	}
	f.rmu.Lock()
	defer f.rmu.Unlock()
	s := f.sf.s
	var o op
	o.cont, o.nowait = pendRawRead, s.nonblock.Load()
	if err := f.begin(&o, context.Background(), "read", dlRead); err != nil {
		return 0, err
	}
	defer s.end(&o)
	rd := f.reader()
	if err := rd.takeErr(); err != nil {
		return 0, err
	}
	if rd.r < rd.w {
		n := copy(p, rd.buf[rd.r:rd.w])
		rd.r += n
		return n, nil
	}
	if len(p) == 0 {
		return 0, nil
	}
	if rd.pend && rd.restore < 0 && len(s.pend) == 1 {
		// The caller repeats its own read now (begin left it pending).
		s.pend, rd.pend = nil, false
	}
	if !o.nowait {
		if err := f.readyRead(&o); err != nil {
			return 0, err
		}
		n, err := f.readCall(&o, p, -1)
		if err == nil && n == 0 {
			err = io.EOF
		}
		return n, err
	}
	if f.wb != nil && f.wb.pending() > 0 {
		return 0, o.fail(0, errors.New("writes are in flight: Sync first (libssh2 would take their replies for reads)"))
	}
	rd.dst = p
	rc := f.readFn()
	rd.dst = nil
	switch {
	case rc == cshim.ErrorEAGAIN:
		// Like an interrupted Read: the next read on the channel must be this one, or another
		// operation finishes it into the File's buffer.
		p := f.pendRead(len(p), -1)
		p.owner, p.kind = f, pendRawRead
		s.addPending(p)
		return 0, o.sftpFail(rc)
	case rc < 0:
		return 0, o.sftpFail(rc)
	case rc == 0:
		rd.eof = true
		return 0, io.EOF
	}
	rd.seq += int64(rc)
	return rc, nil
}
