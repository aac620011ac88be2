package libssh2

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/seed191f4051/go-libssh2/cshim"
)

// DefaultReadBuffer is the largest buffer a File reads into, unless SetReadBuffer says otherwise: 32
// of libssh2's 30000-byte FXP_READ requests. libssh2_sftp_read keeps four times the buffer it is
// given requested ahead, so a long sequential read keeps between 2.88 and 3.84 MB in flight: enough
// for about 100 MB/s at 30 ms round trip. A File starts with a buffer of one request and doubles
// it each time it has read as much in sequence, so a small file costs a few requests and a small
// buffer, and a large download reaches the full read-ahead within its first megabyte.
const DefaultReadBuffer = 32 * packetSize

// maxReadBuffer is the largest useful read buffer: libssh2 caps its read-ahead at four times its
// default channel window (LIBSSH2_CHANNEL_WINDOW_DEFAULT, 2 MiB), so a larger buffer requests no more.
const maxReadBuffer = 2 << 20

// readAhead is the download side of a File. libssh2 keeps the read-ahead itself (the FXP_READ
// requests in flight and the replies not yet taken, in C memory, at most four times the buffer it
// is given); buf[r:w] holds the bytes libssh2 has returned and the caller has not taken yet, so
// the File's position is libssh2's offset minus w-r. Every libssh2_sftp_read of sequential reading
// is given the whole buffer, so the read-ahead does not depend on the sizes the caller reads; the
// buffer grows from one request to max as a sequential read goes on (slow start).
type readAhead struct {
	buf  []byte
	r, w int
	max  int    // the largest buffer
	seq  int64  // bytes read in sequence since the last seek, for the buffer's growth
	dst  []byte // what the running libssh2_sftp_read copies into
	eof  bool   // libssh2 said end of file: it answers 0 until the next seek
	// pend: a libssh2_sftp_read or fstat of this File is pending (pending.go). libssh2 keeps its
	// read state per SFTP channel and may have a request half sent. restore >= 0: the pending read
	// is ReadAt's; once it completes, its bytes are dropped and libssh2's offset goes back to restore.
	pend    bool
	restore int64
	err     error // a read that failed while finished for another operation; the next Read reports it
	// active: libssh2_sftp_read ran since the last libssh2_sftp_seek64, so read requests may be in
	// flight on the handle, where a write would trip over them.
	active bool
}

// reader returns f's download side, made on first use. The caller holds the session lock.
func (f *File) reader() *readAhead {
	if f.rd == nil {
		max := f.sf.readBuf
		if max == 0 {
			max = DefaultReadBuffer
		}
		rd := &readAhead{buf: make([]byte, packetSize), max: max, restore: -1}
		f.rd = rd
		h, s := f.h, f.sf.s
		// Bound once, to the handle rather than to f: the hot path allocates nothing, and a pending
		// read can be finished after f is closed. The call is a bulk one: the socket is corked, so
		// that the read requests it sends share TCP segments, and it asks the kernel for bytes only
		// until the socket is found empty (docs/DESIGN.md, "Bulk calls").
		f.readFn = func() int {
			rd.active = true
			return cshim.SFTPReadBulk(s.s, h, rd.dst, s.fdl.corkFD())
		}
	}
	return f.rd
}

// grow doubles the empty read buffer, up to max, once as many bytes as it holds were read in
// sequence. The caller holds the session lock.
func (rd *readAhead) grow() {
	if rd.r == rd.w && len(rd.buf) < rd.max && rd.seq >= int64(len(rd.buf)) {
		rd.buf = make([]byte, min(2*len(rd.buf), rd.max))
		rd.r, rd.w = 0, 0
	}
}

// readCall runs libssh2_sftp_read into dst, waiting on the socket as needed. It returns the count
// (0 at end of file). When the wait is cut short, libssh2 is left inside the read, which becomes a
// pending call (pendRead; restore says what the bytes are for, see readAhead). The caller is inside o.
//
// On a lane a read stands aside while it waits (lanes.go), Read's and ReadAt's alike: parked, it is
// the pending read an interruption would leave (whose bytes, for ReadAt, are dropped and libssh2's
// offset put back), taken back when the read goes on.
func (f *File) readCall(o *op, dst []byte, restore int64) (int, error) {
	rd := f.rd
	var rc int
	for {
		rd.dst = dst
		var aside bool
		var err error
		if o.lane {
			rc, aside, err = o.s.callAside(o, o.ch(), f.readFn)
		} else {
			rc, err = o.s.call(&o.w, o.ch(), f.readFn)
		}
		rd.dst = nil
		if err != nil {
			return 0, o.interrupt(err, f.pendRead(len(dst), restore))
		}
		if !aside {
			break
		}
		if err := o.park(f.pendRead(len(dst), restore)); err != nil {
			return 0, err // detached: the read is pending; taken: its done kept or dropped the bytes
		}
		rd.pend = false // the read goes on here
	}
	if rc < 0 {
		return 0, o.sftpFail(rc)
	}
	if rc == 0 {
		rd.eof = true
	}
	if restore < 0 {
		rd.seq += int64(rc)
	}
	return rc, nil
}

// pendRead makes the pending call of an interrupted read of n bytes. It finishes into memory it
// owns: the (empty) read buffer, where the next Read finds the bytes of a sequential read, so none
// is lost or returned twice; a scratch buffer for ReadAt's, whose bytes are dropped and libssh2's
// offset put back. The caller holds the session lock.
func (f *File) pendRead(n int, restore int64) *pending {
	rd := f.rd
	rd.pend, rd.restore = true, restore
	var dst []byte
	if restore >= 0 || n > len(rd.buf) {
		dst = make([]byte, n)
	} else {
		dst = rd.buf[:n]
	}
	h, read := f.h, f.readFn
	return &pending{
		sf: f.sf,
		call: func() int {
			rd.dst = dst
			rc := read()
			rd.dst = nil
			return rc
		},
		done: func(rc int) {
			rd.pend = false
			if rd.restore >= 0 {
				// ReadAt already returned: its bytes, and any failure, belong to nobody now.
				cshim.SFTPSeek64(h, uint64(rd.restore))
				rd.active = false
				rd.restore, rd.eof = -1, false
				return
			}
			switch {
			case rc > 0:
				if len(dst) > len(rd.buf) {
					rd.buf = dst
				}
				copy(rd.buf, dst[:rc])
				rd.r, rd.w = 0, rc
				rd.seq += int64(rc)
			case rc == 0:
				rd.eof = true
			default:
				rd.err = f.sf.sftpError("read", f.name, rc, nil)
			}
		},
	}
}

// readyRead makes f ready to read, once begin has finished the pending calls: f's writes are
// drained (every byte acknowledged), so that the read sees them and libssh2's offset is the end of
// what was written. The caller is inside o.
func (f *File) readyRead(o *op) error {
	f.reader()
	if f.wb != nil && f.wb.pending() > 0 {
		if err := f.drain(o); err != nil {
			return err
		}
	}
	if f.at.active {
		return f.leaveWriteAt(o) // writeat.go
	}
	return nil
}

// beginRead enters the operation frame for a read of f and makes f ready to read (readyRead); when
// it returns nil the caller must end o.
func (f *File) beginRead(o *op, ctx context.Context, name string, kind dlKind) error {
	if err := f.begin(o, ctx, name, kind); err != nil {
		return err
	}
	if err := f.readyRead(o); err != nil {
		f.sf.s.end(o)
		return err
	}
	return nil
}

// takeErr returns and forgets the failure of a read that another operation finished.
func (rd *readAhead) takeErr() error {
	err := rd.err
	rd.err = nil
	return err
}

// Read reads up to len(p) bytes from the file, like os.File.Read: at end of file it returns 0 and
// io.EOF itself (not wrapped). It implements io.Reader.
//
// Reads are pipelined: libssh2 keeps up to four times the File's read buffer (SFTP.SetReadBuffer)
// requested ahead of the File's position, and the File buffers what libssh2 returns, so small reads
// cost no network round trip and no C call until the buffer is empty; a Read of at least the
// buffer's size reads straight into p. A Read first drains the File's writes (waits until the
// server has acknowledged every byte written), so it sees them. Once end of file is reached libssh2
// remembers it: a Read returns io.EOF without asking the server again until a Seek (any but
// Seek(0, io.SeekCurrent)) or a Write, so to read what another writer appended since, Seek to the
// offset first.
//
// A Read that runs past the File's deadline or its context (ReadContext), or that Close interrupts,
// returns an error wrapping os.ErrDeadlineExceeded, the context's error or fs.ErrClosed, with no
// bytes. libssh2 is then left inside its read; the File stays usable: the next operation on the
// session finishes that read first, and its bytes are kept for the next Read, so no byte is lost or
// returned twice.
//
// It wraps libssh2_sftp_read.
func (f *File) Read(p []byte) (int, error) {
	return f.ReadContext(context.Background(), p)
}

// ReadContext is Read bounded by ctx as well.
//
// It wraps libssh2_sftp_read.
func (f *File) ReadContext(ctx context.Context, p []byte) (int, error) {
	if f == nil {
		return 0, errInvalid("read", "", fs.ErrInvalid)
	}
	f.rmu.Lock()
	defer f.rmu.Unlock()
	var o op
	if err := f.beginRead(&o, ctx, "read", dlRead); err != nil {
		return 0, err
	}
	defer f.sf.s.end(&o)
	o.mayPark()
	rd := f.rd
	if err := rd.takeErr(); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if rd.r < rd.w {
		n := copy(p, rd.buf[rd.r:rd.w])
		rd.r += n
		return n, nil
	}
	if rd.eof {
		return 0, io.EOF
	}
	rd.grow()
	if len(p) >= len(rd.buf) {
		n, err := f.readCall(&o, p[:len(rd.buf)], -1)
		if err != nil {
			return 0, err
		}
		if n == 0 {
			return 0, io.EOF
		}
		return n, nil
	}
	n, err := f.readCall(&o, rd.buf, -1)
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, io.EOF
	}
	rd.w = n
	rd.r = copy(p, rd.buf[:n])
	return rd.r, nil
}

// WriteTo writes the file's content from the File's position to its end into dst, and returns the
// number of bytes written. It reads into the File's buffer and writes from there, so io.Copy(dst, f)
// copies each byte once on the Go side, with the read-ahead of Read. The session is not locked while
// dst.Write runs, so dst may be another File of the same session. An error from dst is returned as
// it is; the bytes dst did not take stay in the File's buffer for the next Read or WriteTo. A
// deadline or cancelled context leaves the File as Read describes. It implements io.WriterTo.
//
// It wraps libssh2_sftp_read.
func (f *File) WriteTo(dst io.Writer) (int64, error) {
	return f.WriteToContext(context.Background(), dst)
}

// WriteToContext is WriteTo bounded by ctx as well; ctx is also checked between chunks.
//
// It wraps libssh2_sftp_read.
func (f *File) WriteToContext(ctx context.Context, dst io.Writer) (int64, error) {
	if f == nil {
		return 0, errInvalid("read", "", fs.ErrInvalid)
	}
	f.rmu.Lock()
	defer f.rmu.Unlock()
	var total int64
	taken := 0
	for {
		chunk, err := f.nextChunk(ctx, taken, nil)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
		n, werr := dst.Write(chunk)
		if n < 0 || n > len(chunk) {
			n = 0
			if werr == nil {
				werr = newError("read", f.name, 0, errors.New("writer returned an invalid count"))
			}
		}
		total += int64(n)
		taken = n
		if werr == nil && n < len(chunk) {
			werr = io.ErrShortWrite
		}
		if werr != nil {
			f.afterChunk(n)
			return total, werr
		}
	}
}

// afterChunk marks n bytes of the chunk WriteTo handed out as returned, after dst failed or the
// next chunk could not be had: the File's next operation marks them in the read buffer once it
// holds the session (applyUntaken). Taking the session here would be a wait that no context ends,
// behind another goroutine's operation.
func (f *File) afterChunk(n int) { f.untaken.Add(int64(n)) }

// applyUntaken marks the bytes afterChunk counted as returned. The caller holds the session lock,
// and no read of f is running: a read only starts once the buffer is empty, which comes after
// its bytes were applied. Every operation of f calls it on entering, so it looks before it
// swaps: a load costs nothing on the hot path (Write), a swap is a locked instruction.
func (f *File) applyUntaken() {
	if f.untaken.Load() == 0 {
		return
	}
	if n := f.untaken.Swap(0); n > 0 && f.rd != nil {
		f.rd.r = min(f.rd.r+int(n), f.rd.w)
	}
}

// nextChunk marks taken buffered bytes as returned and returns the buffered bytes, reading more
// when there are none; io.EOF at end of file. The slice is f's buffer: the caller holds f.rmu, which
// keeps other reads out of it while the session is unlocked. reserve, when set, is called with
// libssh2's offset and the buffer's size before each read and returns the buffer size to read
// with, which bounds libssh2's read-ahead (a Download's stream: plan.reserve); 0 ends the reading
// with io.EOF.
func (f *File) nextChunk(ctx context.Context, taken int, reserve func(pos int64, n int) int) ([]byte, error) {
	var o op
	if err := f.begin(&o, ctx, "read", dlRead); err != nil {
		if taken > 0 {
			f.afterChunk(taken)
		}
		return nil, err
	}
	defer f.sf.s.end(&o)
	if rd := f.rd; rd != nil {
		rd.r = min(rd.r+taken, rd.w)
	}
	if err := f.readyRead(&o); err != nil {
		return nil, err
	}
	rd := f.rd
	if err := rd.takeErr(); err != nil {
		return nil, err
	}
	if rd.r < rd.w {
		return rd.buf[rd.r:rd.w], nil
	}
	if rd.eof {
		return nil, io.EOF
	}
	rd.grow()
	buf := rd.buf
	if reserve != nil {
		if buf = buf[:reserve(int64(cshim.SFTPTell64(f.h)), len(buf))]; len(buf) == 0 {
			return nil, io.EOF // nothing more is wanted
		}
	}
	o.mayPark()
	n, err := f.readCall(&o, buf, -1)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, io.EOF
	}
	rd.r, rd.w = 0, n
	return rd.buf[:n], nil
}

// ReadAt reads len(p) bytes from the file starting at offset off, like os.File.ReadAt: it returns
// n < len(p) only with an error, io.EOF itself when the file ends first. It does not move the File's
// offset. It implements io.ReaderAt; parallel calls are safe, and run one at a time.
//
// libssh2 has one offset and one read-ahead per handle, so ReadAt borrows them under the session
// lock: it drains the File's writes (as Seek does), seeks to off (libssh2_sftp_seek64, which
// discards the sequential read-ahead in flight), reads with a read-ahead sized to what is left of
// p, so that little is requested past it, and seeks back. The bytes already in the File's buffer
// are kept. Its cost is therefore at least one round trip per call, and the next sequential Read
// starts its read-ahead again: interleaving ReadAt with Read works but is slower than either alone.
//
// When ReadAt runs past the deadline, it returns what it has with the error; libssh2's read is
// finished by the next operation on the session, which drops its bytes and restores the offset.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	return f.ReadAtContext(context.Background(), p, off)
}

// ReadAtContext is ReadAt bounded by ctx as well.
//
// It wraps libssh2_sftp_seek64 and libssh2_sftp_read.
func (f *File) ReadAtContext(ctx context.Context, p []byte, off int64) (int, error) {
	if f == nil {
		return 0, errInvalid("read", "", fs.ErrInvalid)
	}
	if off < 0 {
		return 0, errInvalid("read", f.name, fmt.Errorf("%w: negative offset %d", fs.ErrInvalid, off))
	}
	var o op
	if err := f.beginRead(&o, ctx, "read", dlRead); err != nil {
		return 0, err
	}
	defer f.sf.s.end(&o)
	if len(p) == 0 {
		return 0, nil
	}
	o.mayPark()
	rd := f.rd
	back := int64(cshim.SFTPTell64(f.h)) // the end of the buffered bytes
	f.seek64(off)
	n := 0
	var err error
	for n < len(p) {
		var k int
		k, err = f.readCall(&o, p[n:n+f.readAtSize(len(p)-n)], back)
		if o.detached {
			// Gave up standing aside: the read stays queued, and whoever finishes it drops its
			// bytes and puts libssh2's offset back (pendRead). The lock is not o's.
			return n, err
		}
		if err != nil {
			break
		}
		if k == 0 {
			err = io.EOF
			break
		}
		n += k
	}
	if !rd.pend {
		f.seek64(back)
		rd.eof = false
	}
	return n, err
}

// readAtSize is the buffer to give libssh2_sftp_read when rem bytes are still wanted. libssh2
// requests four times its buffer ahead, so a quarter of rem requests about rem; the read buffer's
// size bounds the read-ahead as for Read.
func (f *File) readAtSize(rem int) int {
	return min((rem+3)/4, f.rd.max)
}
