package libssh2

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/seed191f4051/go-libssh2/cshim"
)

// Small files pipelined (docs/DESIGN.md, "Small files pipelined"). A small file costs three round
// trips one after another (open, write, close), whoever sends them. libssh2 keeps the state of an
// unfinished libssh2_sftp_open_ex and of an unfinished libssh2_sftp_write per SFTP channel, and of
// an unfinished libssh2_sftp_close_handle per handle, so on one channel one file can be opening
// while another is writing and others are closing: PutFiles drives those calls of a group of
// files in one operation, and in the steady state every round trip carries an open, a write and a
// close.

// PutFile is one file for SFTP.PutFiles: its name, all its bytes (at most MaxPutFile) and its
// permissions (0 means 0o644). PutFiles sets Err.
type PutFile struct {
	Name string
	Data []byte
	Perm fs.FileMode
	// Err is nil once the file was created (or truncated), written and closed, and otherwise why
	// not: an *Error.
	Err error
}

// MaxPutFile is the most bytes a PutFile may hold: one libssh2 write request, so that each file's
// write is a single request in flight.
const MaxPutFile = packetSize

// PutFiles creates each file (truncating one that exists), writes its Data and closes it, as
// os.WriteFile does, with the requests of several files in flight at once on the channel: one
// file's open, the write of the one opened before it and the closes of earlier ones. A file is
// written when its Err is nil, which is set only after the server acknowledged its close.
//
// The files fail or succeed each on their own: a refused open, write or close sets that file's Err
// and the others go on. An interrupted wait (ctx, the deadline, Close) fails every file not yet
// closed with the same error, and leaves the calls in flight to be finished by the session's next
// operation; the files that did succeed are whole. PutFiles returns the first file's error, or nil.
//
// It wraps libssh2_sftp_open_ex, libssh2_sftp_write and libssh2_sftp_close_handle.
func (sf *SFTP) PutFiles(ctx context.Context, files []PutFile) error {
	const opname = "put"
	if sf == nil {
		return errInvalid(opname, "", fs.ErrInvalid)
	}
	for i := range files {
		f := &files[i]
		f.Err = checkPath(opname, f.Name)
		if f.Err == nil && len(f.Data) > MaxPutFile {
			f.Err = errInvalid(opname, f.Name, fmt.Errorf("%d bytes: PutFiles takes at most %d a file", len(f.Data), MaxPutFile))
		}
	}
	s := sf.s
	var o op
	if err := s.begin(&o, ctx, opname, "", sf, nil, dlSession); err != nil {
		for i := range files {
			if files[i].Err == nil {
				files[i].Err = pathError(err, files[i].Name)
			}
		}
		return firstErr(files)
	}
	defer s.end(&o)
	n := len(files)
	p := &putPipe{o: &o, sf: sf, files: files, hs: make([]*cshim.Handle, n), fin: make([]bool, n),
		sent: make([]bool, n), open: -1, write: -1}
	fxf, _ := openFlags(os.O_WRONLY | os.O_CREATE | os.O_TRUNC)
	p.fxf = fxf
	for i := range files {
		if files[i].Err == nil {
			p.left++
		}
	}
	if p.left == 0 {
		return firstErr(files)
	}
	rc, err := s.call(&o.w, sf.ch, p.pass)
	switch {
	case err != nil:
		p.interrupted(err)
	case fatal(rc):
		e := o.sftpFail(rc) // the session is broken
		p.failLeft(e)
	}
	return firstErr(files)
}

// pathError is err for file name.
func pathError(err error, name string) error {
	var e *Error
	if errors.As(err, &e) {
		c := *e
		c.Path = name
		return &c
	}
	return newError("put", name, 0, err)
}

// firstErr is the first file's error.
func firstErr(files []PutFile) error {
	for i := range files {
		if files[i].Err != nil {
			return files[i].Err
		}
	}
	return nil
}

// stage names a call of the pipeline: the open of a file, its write, or its close.
type stage uint8

const (
	stageNone stage = iota
	stageOpen
	stageWrite
	stageClose
)

// putPipe is the state of PutFiles' calls. Its fields are guarded by the session lock, which the
// operation holds throughout.
type putPipe struct {
	o     *op
	sf    *SFTP
	files []PutFile
	hs    []*cshim.Handle // each file's handle, from its open until its close returns
	fin   []bool          // the file is finished: its open failed or its close returned
	sent  []bool          // the file's close request has been made
	fxf   int
	next  int   // the next file to open
	open  int   // the file whose open is in flight, or -1
	ready []int // files opened, in order, waiting for the write stage
	write int   // the file whose write is in flight, or -1
	// closes are the files whose close is due or in flight.
	closes []int
	// alone is a call in flight that may have part of its request unsent (fact 3: libssh2 blocked
	// sending; fact 11: begun without room for it in the channel's window), for file aloneFile:
	// only it is made until it returns, since a request sent meanwhile would go out before, or
	// inside, the rest of it.
	alone     stage
	aloneFile int
	left      int // files not finished
}

// requestRoom is what a request needs in the channel's window besides its data or name: the
// header and a handle of up to 256 bytes.
const requestRoom = 512

// pass makes every call of the pipeline that can move, as long as one does; the operation's wait
// (Session.call) runs it again when the socket is ready. It returns 0 when every file is finished,
// EAGAIN while calls wait, and a fatal code when the session broke.
func (p *putPipe) pass() int {
	for p.left > 0 {
		if p.alone != stageNone {
			st, i := p.alone, p.aloneFile
			rc := p.call(st, i)
			if rc == cshim.ErrorEAGAIN {
				return rc
			}
			p.alone = stageNone
			if p.finish(st, i, rc) {
				return rc
			}
			continue
		}
		moved := false
		// The open of the next file, while few opened files wait for the write stage.
		i, first := p.open, false
		if i < 0 && len(p.ready) < 2 {
			for p.next < len(p.files) && p.files[p.next].Err != nil {
				p.next++ // refused before it began
			}
			if p.next < len(p.files) {
				i, first = p.next, true
				p.next++
				p.open = i
				moved = true
			}
		}
		if i >= 0 {
			if rc := p.step(stageOpen, i, first, len(p.files[i].Name)); rc != cshim.ErrorEAGAIN {
				moved = true
				if p.finish(stageOpen, i, rc) {
					return rc
				}
			}
		}
		if p.alone != stageNone {
			continue
		}
		// The write of the oldest file opened.
		i, first = p.write, false
		if i < 0 && len(p.ready) > 0 {
			i, first = p.ready[0], true
			p.ready = p.ready[1:]
			p.write = i
			moved = true
		}
		if i >= 0 {
			if rc := p.step(stageWrite, i, first, len(p.files[i].Data)); rc != cshim.ErrorEAGAIN {
				moved = true
				if p.finish(stageWrite, i, rc) {
					return rc
				}
			}
		}
		// The closes, each due once its file's write or open finished.
		for k := 0; k < len(p.closes) && p.alone == stageNone; k++ {
			i := p.closes[k]
			first := !p.sent[i]
			p.sent[i] = true
			if first {
				moved = true
			}
			rc := p.step(stageClose, i, first, 0)
			if rc == cshim.ErrorEAGAIN {
				continue
			}
			moved = true
			p.closes = append(p.closes[:k], p.closes[k+1:]...)
			k--
			if p.finish(stageClose, i, rc) {
				return rc
			}
		}
		if p.alone == stageNone && !moved {
			return cshim.ErrorEAGAIN
		}
	}
	return 0
}

// step makes stage st's call for file i; first says it is the call that sends the request, which
// carries n bytes besides its header. A call that waits with part of its request unsent, or that
// began without room for it in the channel's window, goes alone from then on.
func (p *putPipe) step(st stage, i int, first bool, n int) int {
	room := !first || cshim.ChannelWindowWrite(p.sf.ch) >= uint64(n+requestRoom)
	rc := p.call(st, i)
	if rc == cshim.ErrorEAGAIN && (!room || p.outbound()) {
		switch st {
		case stageOpen:
			p.open = -1
		case stageWrite:
			p.write = -1
		default:
			for k, j := range p.closes {
				if j == i {
					p.closes = append(p.closes[:k], p.closes[k+1:]...)
					break
				}
			}
		}
		p.alone, p.aloneFile = st, i
	}
	return rc
}

// outbound reports whether libssh2 is blocked sending: a packet is half sent (fact 3).
func (p *putPipe) outbound() bool {
	return cshim.SessionBlockDirections(p.sf.s.s)&cshim.SessionBlockOutbound != 0
}

// call makes stage st's libssh2 call for file i, with the same arguments every time.
func (p *putPipe) call(st stage, i int) int {
	f := &p.files[i]
	switch st {
	case stageOpen:
		h := cshim.SFTPOpenEx(p.sf.p, f.Name, p.fxf, putMode(f.Perm), cshim.SFTPOpenFile)
		if h != nil {
			p.hs[i] = h
			return 0
		}
		return p.sf.s.lastErrno()
	case stageWrite:
		return cshim.SFTPWrite(p.hs[i], f.Data)
	default:
		return cshim.SFTPCloseHandle(p.hs[i])
	}
}

func putMode(perm fs.FileMode) int {
	if perm == 0 {
		perm = 0o644
	}
	return int(posixPerm(perm))
}

// finish takes the result of stage st's call for file i and moves the file on. It reports whether
// the session broke (rc fatal), which ends the pass.
func (p *putPipe) finish(st stage, i, rc int) bool {
	f := &p.files[i]
	if st == stageOpen {
		p.open = -1
	} else if st == stageWrite {
		p.write = -1
	}
	if rc < 0 {
		if fatal(rc) {
			return true
		}
		if f.Err == nil {
			f.Err = p.sf.sftpError(stageName(st), f.Name, rc, nil)
		}
	}
	switch st {
	case stageOpen:
		switch {
		case rc < 0:
			p.fin[i] = true
			p.left-- // no handle
		case len(f.Data) == 0:
			p.closes = append(p.closes, i)
		default:
			p.ready = append(p.ready, i)
		}
	case stageWrite:
		if rc >= 0 && rc < len(f.Data) && f.Err == nil {
			// One request acknowledged in part: the server wrote less than asked.
			f.Err = newError("write", f.Name, 0, fmt.Errorf("the server wrote %d of %d bytes", rc, len(f.Data)))
		}
		p.closes = append(p.closes, i) // the handle is closed whatever the write did
	default:
		p.hs[i] = nil
		p.fin[i] = true
		p.left--
	}
	return false
}

func stageName(st stage) string {
	switch st {
	case stageOpen:
		return "open"
	case stageWrite:
		return "write"
	}
	return "close"
}

// interrupted handles a wait cut short: every call in flight becomes a pending call (pending.go),
// the one that must go alone first, and every file not finished fails with the wait's error.
func (p *putPipe) interrupted(err error) {
	s := p.sf.s
	var calls []*pending
	if p.alone != stageNone {
		calls = append(calls, p.pendingCall(p.alone, p.aloneFile))
	}
	if p.open >= 0 {
		calls = append(calls, p.pendingCall(stageOpen, p.open))
	}
	if p.write >= 0 {
		calls = append(calls, p.pendingCall(stageWrite, p.write))
	}
	for _, i := range p.closes {
		calls = append(calls, p.pendingCall(stageClose, i))
	}
	var e *Error
	if len(calls) > 0 {
		e = p.o.interrupt(err, calls[0])
		if interrupted(err) {
			for _, c := range calls[1:] {
				s.addPending(c)
			}
			for _, i := range p.ready {
				s.closeHandleLater(p.sf, p.hs[i]) // opened, not written: nobody will use it
			}
		}
	} else {
		e = p.o.fail(0, err)
	}
	p.failLeft(e)
}

// pendingCall is stage st's call for file i as a pending call, owning what it needs: a write its
// bytes (the caller's may change once PutFiles returns), an open or a write the close of the
// handle that comes of it.
func (p *putPipe) pendingCall(st stage, i int) *pending {
	sf := p.sf
	f := p.files[i]
	switch st {
	case stageOpen:
		var h *cshim.Handle
		name, fxf, mode := f.Name, p.fxf, putMode(f.Perm)
		return &pending{sf: sf, call: func() int {
			h = cshim.SFTPOpenEx(sf.p, name, fxf, mode, cshim.SFTPOpenFile)
			if h != nil {
				return 0
			}
			return sf.s.lastErrno()
		}, done: func(int) {
			if h != nil {
				sf.s.closeHandleLater(sf, h)
			}
		}}
	case stageWrite:
		h, data := p.hs[i], append([]byte(nil), f.Data...)
		return &pending{sf: sf, call: func() int { return cshim.SFTPWrite(h, data) },
			done: func(int) { sf.s.closeHandleLater(sf, h) }}
	default:
		h := p.hs[i]
		return &pending{sf: sf, call: func() int { return cshim.SFTPCloseHandle(h) }}
	}
}

// failLeft fails every file not finished with e.
func (p *putPipe) failLeft(e *Error) {
	for i := range p.files {
		f := &p.files[i]
		if f.Err == nil && !p.fin[i] {
			f.Err = pathError(e, f.Name)
		}
	}
}
