package libssh2_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seed191f4051/go-libssh2/internal/tcpproxy"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

// socketInode is the inode number of the socket open as descriptor fd of this process.
func socketInode(t *testing.T, fd int) uint64 {
	t.Helper()
	link, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
	if err != nil {
		t.Fatal(err)
	}
	var ino uint64
	if _, err := fmt.Sscanf(link, "socket:[%d]", &ino); err != nil {
		t.Fatalf("descriptor %d is %q, not a socket", fd, link)
	}
	return ino
}

// epollWatches reports whether an epoll set of this process (Go's netpoller has one) watches the
// file with inode ino, from the "tfd: ... ino:HEX" lines of /proc/self/fdinfo.
func epollWatches(t *testing.T, ino uint64) bool {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	sets := 0
	for _, e := range fds {
		if link, _ := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); link != "anon_inode:[eventpoll]" {
			continue
		}
		sets++
		info, err := os.ReadFile(filepath.Join("/proc/self/fdinfo", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(info), "\n") {
			_, rest, ok := strings.Cut(line, " ino:")
			if !strings.HasPrefix(line, "tfd:") || !ok {
				continue
			}
			if n, err := strconv.ParseUint(strings.Fields(rest)[0], 16, 64); err == nil && n == ino {
				return true
			}
		}
	}
	if sets == 0 {
		t.Fatal("no epoll set in /proc/self/fd: Go's netpoller should have one")
	}
	return false
}

// TestDialSocketOutOfNetpoller checks that a session made by Dial waits on its socket itself, with
// the socket out of Go's epoll set (docs/DESIGN.md, "Waiting outside the netpoller"), so that
// arriving segments wake no idle scheduler thread; and, as the check's control, that the socket of
// a connection handed to NewSession, which stays the caller's, is still in it. Both sessions work.
func TestDialSocketOutOfNetpoller(t *testing.T) {
	sess, sf := openSFTP(t, srv)
	fd := libssh2.SocketFD(sess)
	if fd < 0 {
		t.Fatal("a Dial session has no socket descriptor")
	}
	if epollWatches(t, socketInode(t, fd)) {
		t.Errorf("the socket of a Dial session (descriptor %d) is still in the netpoller's epoll set", fd)
	}
	if _, err := sf.Stat(srv.Path("")); err != nil {
		t.Fatal(err)
	}

	conn, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	own, err := libssh2.NewSession(ctx, conn, config(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	if !epollWatches(t, socketInode(t, libssh2.SocketFD(own))) {
		t.Error("the socket of a connection given to NewSession is not in the epoll set: the check cannot see the netpoller")
	}
	osf, err := own.SFTP()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := osf.Stat(srv.Path("")); err != nil {
		t.Fatal(err)
	}
}

// TestDialReleasesItsDescriptors checks that every way a Dial session ends gives back the socket
// duplicate and the eventfd it took (fdLink): Close, a failed login, and a handshake cut short by
// its context. (A Session dropped without Close: TestDroppedSessionIsReclaimed.)
func TestDialReleasesItsDescriptors(t *testing.T) {
	cfg := config(t, srv)
	sess, err := dialErr(srv.Addr, cfg) // warm up whatever the runtime and the harness open once
	if err != nil {
		t.Fatal(err)
	}
	sess.Close()
	before := openFDs(t)

	for range 3 {
		sess, sf := openSFTP(t, srv)
		if _, err := sf.Stat(srv.Path("")); err != nil {
			t.Fatal(err)
		}
		if err := sess.Close(); err != nil {
			t.Fatal(err)
		}

		wrong := config(t, srv)
		wrong.Auth = []libssh2.AuthMethod{libssh2.PublicKeyFile(srv.WrongKeyPath, "")}
		if _, err := dialErr(srv.Addr, wrong); err == nil {
			t.Fatal("Dial with a refused key succeeded")
		}

		slow := tcpproxy.StartT(t, srv.Addr, tcpproxy.ReplyDelay(100*time.Millisecond))
		quick := config(t, srv)
		quick.HostKeyCallback = libssh2.InsecureIgnoreHostKey()
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		_, err := libssh2.Dial(ctx, "tcp", slow.Addr, quick)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("Dial cut short by its context: %v, want context.DeadlineExceeded", err)
		}
		slow.Close()
	}

	// settle collects garbage between tries.
	if !settle(func() bool { return openFDs(t) <= before }) {
		t.Fatalf("%d descriptors open after the sessions ended, %d before", openFDs(t), before)
	}
}

// corked reports whether the session's TCP socket is corked (TCP_CORK).
func corked(t *testing.T, s *libssh2.Session) bool {
	t.Helper()
	v, err := syscall.GetsockoptInt(libssh2.SocketFD(s), syscall.IPPROTO_TCP, syscall.TCP_CORK)
	if err != nil {
		t.Fatalf("TCP_CORK of the session's socket: %v", err)
	}
	return v != 0
}

// TestReadsUncorkTheSocket: a File's reads cork the TCP socket only for the length of each libssh2
// call (docs/DESIGN.md, "Bulk calls"). After reading a file, and after a read cut short by its
// deadline on a stalled link, the socket is not corked, and once the link is back another
// operation's request leaves at once: a corked socket would hold it for the kernel's 200 ms.
func TestReadsUncorkTheSocket(t *testing.T) {
	data := bytes.Repeat([]byte("corked reads "), 300_000) // 3.9 MB: the read buffer grows to its largest
	remote := srv.Path("cork.bin")
	if err := os.WriteFile(remote, data, 0o644); err != nil {
		t.Fatal(err)
	}
	proxy, sess, sf := proxySession(t, tcpproxy.ReplyDelay(2*time.Millisecond))
	f, err := sf.Open(remote)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got bytes.Buffer
	if _, err := io.Copy(&got, f); err != nil || !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("io.Copy: %v, %d bytes equal to the file: %v", err, got.Len(), bytes.Equal(got.Bytes(), data))
	}
	if corked(t, sess) {
		t.Fatal("the socket is corked after the File was read")
	}

	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	proxy.SetPaused(true)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	_, err = f.ReadContext(ctx, make([]byte, 1<<20))
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a read on the stalled link returned %v, want context.DeadlineExceeded", err)
	}
	if corked(t, sess) {
		t.Fatal("the socket is corked after a read cut short on a stalled link")
	}
	proxy.SetPaused(false)
	// The next operation finishes the interrupted read first (its replies are on their way), then
	// sends its own request.
	if _, err := sf.Stat(remote); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		t0 := time.Now()
		if _, err := sf.Stat(remote); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(t0); d > 150*time.Millisecond {
			t.Errorf("a Stat after the reads took %v: its request was held back", d)
		}
	}
}

// TestBulkCallsAskTheKernelOnce: within one bulk call (a File's libssh2_sftp_read or
// libssh2_sftp_write), once a recv has found the socket empty the call's later recvs say EAGAIN
// without a system call (docs/DESIGN.md, "Bulk calls"). libssh2 asks again before it takes each
// buffered reply, so without this most of a transfer's recvs find nothing. A download and an upload
// through a proxy that delays the server's replies (so that the socket runs empty in the middle of
// calls) stay exact, no bulk call finds the socket empty twice, and libssh2 did ask again (the test
// would otherwise prove nothing).
func TestBulkCallsAskTheKernelOnce(t *testing.T) {
	data := make([]byte, 6<<20)
	for i := range data {
		data[i] = byte(i * 7 / 5)
	}
	remote := srv.Path("bulk.bin")
	if err := os.WriteFile(remote, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, sess, sf := proxySession(t, tcpproxy.ReplyDelay(time.Millisecond))
	f, err := sf.Open(remote)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if _, err := io.Copy(&got, f); err != nil || !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("io.Copy from the File: %v, %d bytes equal to the file: %v", err, got.Len(), bytes.Equal(got.Bytes(), data))
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	calls, empty, dry := libssh2.BulkStats(sess)
	t.Logf("download: %d bulk calls, %d recvs found the socket empty, %d answered without the kernel", calls, empty, dry)
	if calls == 0 || empty > calls || dry == 0 {
		t.Errorf("download: %d bulk calls found the socket empty %d times (at most once each) and answered %d recvs without the kernel (want some)", calls, empty, dry)
	}

	up := srv.Path("bulk-up.bin")
	w, err := sf.Create(up)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(w, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(up); err != nil || !bytes.Equal(b, data) {
		t.Fatalf("the upload: %v, %d bytes, equal: %v", err, len(b), bytes.Equal(b, data))
	}
	calls2, empty2, dry2 := libssh2.BulkStats(sess)
	calls2, empty2, dry2 = calls2-calls, empty2-empty, dry2-dry
	t.Logf("upload: %d bulk calls, %d recvs found the socket empty, %d answered without the kernel", calls2, empty2, dry2)
	if calls2 == 0 || empty2 > calls2 || dry2 == 0 {
		t.Errorf("upload: %d bulk calls found the socket empty %d times (at most once each) and answered %d recvs without the kernel (want some)", calls2, empty2, dry2)
	}
	// The session works on after bulk calls: a plain call asks the kernel as before.
	if _, err := sf.Stat(up); err != nil {
		t.Fatal(err)
	}
}
