package libssh2

import (
	"runtime"
	"weak"

	"github.com/seed191f4051/go-libssh2/cshim"
)

// Files dropped without Close (docs/DESIGN.md, "Files dropped without Close"). As an os.File that
// becomes unreachable has its descriptor closed, a File or Dir that becomes unreachable while open
// has its handle closed: its SFTP channel holds it only weakly (SFTP.open), unless its window has
// bytes inside libssh2 (SFTP.busy), which the channel must drain before it sends anything else
// (fact 11); drained, it is held weakly again. A runtime cleanup then hands the handle to the
// channel (orphaned), without the session lock, and the session's next operation queues its
// close as a pending call (closeOrphans), which it finishes before its own call like any other.

// orphan is what a File's cleanup needs to close its handle. It must not point to the File, or
// the File would never be collected; it holds its channel weakly too, so that a Session dropped
// with a File that has bytes in flight (held by its channel) is still collected.
type orphan struct {
	sf   weak.Pointer[SFTP]
	h    *cshim.Handle
	self weak.Pointer[File]
}

// register records f, just opened, as open on sf, and arranges for its handle to be closed if f
// is dropped without Close. The caller holds the session lock.
func (sf *SFTP) register(f *File) {
	f.self = weak.Make(f)
	sf.open[f.self] = struct{}{}
	f.cleanup = runtime.AddCleanup(f, orphaned, orphan{sf: sf.self, h: f.h, self: f.self})
}

// forget records that f's handle is closed, or queued to be: its cleanup has nothing left to do.
// The caller holds the session lock.
func (sf *SFTP) forget(f *File) {
	delete(sf.open, f.self)
	f.cleanup.Stop()
}

// orphaned runs on the runtime's cleanup goroutine when a File was collected open. It must not
// block, so it only hands the handle to the channel, unless the channel is closed (its handles went
// with it) or collected itself (with its session, which reclaim frees).
func orphaned(o orphan) {
	sf := o.sf.Value()
	if sf == nil {
		return
	}
	sf.omu.Lock()
	defer sf.omu.Unlock()
	if sf.gone {
		return
	}
	sf.orphans = append(sf.orphans, o)
	sf.s.orphaned.Store(true)
}

// closeOrphans queues the close of every handle whose File was collected open, as pending calls
// that the operation about to run finishes first (begin). The caller holds the session lock.
func (s *Session) closeOrphans() {
	s.orphaned.Store(false) // before taking the lists: a handle added meanwhile sets it again
	for sf := range s.sftps {
		sf.omu.Lock()
		list := sf.orphans
		sf.orphans = nil
		sf.omu.Unlock()
		for _, o := range list {
			delete(sf.open, o.self)
			if !sf.shut && sf.broken == nil {
				s.closeHandleLater(sf, o.h)
			}
		}
	}
}
