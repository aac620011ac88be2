// Package tcpproxy forwards TCP connections on 127.0.0.1 to a server, for tests that need a link
// they can stall (a peer that stops answering) or slow down (replies that arrive late).
package tcpproxy

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Proxy forwards every connection made to Addr to its target. It is safe for concurrent use.
type Proxy struct {
	Addr   string // "127.0.0.1:port" to dial instead of the target
	ln     net.Listener
	target string
	delay  time.Duration // added before each chunk forwarded from the target to the client
	rcvbuf int           // if > 0, the receive buffer of the client's connection (SO_RCVBUF)

	mu     sync.Mutex
	cond   *sync.Cond
	paused bool
	conns  []net.Conn
	wg     sync.WaitGroup
	up     atomic.Int64 // bytes read from clients
	down   atomic.Int64 // bytes read from the target
}

// BytesUp returns how many bytes the clients have sent so far (read by the proxy, whether or not
// forwarded yet): a test can tell that a call sent nothing.
func (p *Proxy) BytesUp() int64 { return p.up.Load() }

// BytesDown returns how many bytes the target has sent back so far (read by the proxy).
func (p *Proxy) BytesDown() int64 { return p.down.Load() }

// Option tunes a Proxy.
type Option func(*Proxy)

// ReplyDelay delays every chunk the target sends back to the client by d, so that answers to a
// request never arrive within d of it.
func ReplyDelay(d time.Duration) Option { return func(p *Proxy) { p.delay = d } }

// ReceiveBuffer makes the proxy's socket for each client receive into a buffer of about n bytes
// (SO_RCVBUF), so that a paused proxy soon fills the client's send path: its sends come out short.
func ReceiveBuffer(n int) Option { return func(p *Proxy) { p.rcvbuf = n } }

// Start listens on 127.0.0.1 and forwards to target until Close.
func Start(target string, opts ...Option) (*Proxy, error) {
	p := &Proxy{target: target}
	for _, o := range opts {
		o(p)
	}
	var lc net.ListenConfig
	if p.rcvbuf > 0 {
		// Set on the listening socket, so that each connection starts with it (the window scale is
		// agreed in the handshake: a buffer shrunk later stalls TCP itself).
		lc.Control = func(network, address string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, p.rcvbuf)
			})
			if err != nil {
				return err
			}
			return serr
		}
	}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p.Addr, p.ln = ln.Addr().String(), ln
	p.cond = sync.NewCond(&p.mu)
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// StartT is Start for a test: it fails the test when the proxy cannot start, and closes the proxy
// when the test ends.
func StartT(tb testing.TB, target string, opts ...Option) *Proxy {
	tb.Helper()
	p, err := Start(target, opts...)
	if err != nil {
		tb.Fatalf("tcpproxy: %v", err)
	}
	tb.Cleanup(p.Close)
	return p
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(s, c, 0, &p.up)
		go p.pipe(c, s, p.delay, &p.down)
	}
}

func (p *Proxy) pipe(dst, src net.Conn, delay time.Duration, count *atomic.Int64) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if count != nil {
			count.Add(int64(n))
		}
		p.mu.Lock()
		for p.paused {
			p.cond.Wait()
		}
		p.mu.Unlock()
		if n > 0 {
			time.Sleep(delay)
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			dst.(*net.TCPConn).CloseWrite()
			return
		}
	}
}

// SetPaused stops forwarding in both directions (a stalled peer: nothing is lost, it waits), or
// starts again.
func (p *Proxy) SetPaused(paused bool) {
	p.mu.Lock()
	p.paused = paused
	p.cond.Broadcast()
	p.mu.Unlock()
}

// Close stops listening, closes every forwarded connection and waits for the forwarding to end.
func (p *Proxy) Close() {
	p.ln.Close()
	p.SetPaused(false)
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
