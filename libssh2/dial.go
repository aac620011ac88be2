package libssh2

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"strconv"
	"time"

	"github.com/seed191f4051/go-libssh2/cshim"
)

// Dial connects to addr ("host:port") through the server, which opens the TCP connection itself
// (a direct-tcpip channel: libssh2_channel_direct_tcpip_ex), and returns a net.Conn over the
// channel. network must be "tcp", "tcp4" or "tcp6"; the server resolves host. It is
// DialContext with context.Background().
//
// The connection can carry another SSH session, for a jump host (ProxyJump):
//
//	conn, err := jump.Dial("tcp", "inner.example:22")
//	inner, err := libssh2.NewSession(ctx, conn, innerConfig)
func (s *Session) Dial(network, addr string) (net.Conn, error) {
	return s.DialContext(context.Background(), network, addr)
}

// DialContext is Dial bounded by ctx: Dial returns soon after ctx ends, with an error wrapping
// ctx's error, and the session stays usable. ctx does not bound the connection once it is made.
//
// The connection shares the session with its SFTP channels, commands and other connections; its
// Read does not hold the session while it waits for data when another goroutine needs it. Its
// deadlines work as net.Conn's do (an error wrapping os.ErrDeadlineExceeded, whose Timeout
// reports true). Close closes the channel (libssh2_channel_free), bounded by about 5 s; closing the
// Session closes its connections. Read returns io.EOF when the far end has closed its side.
func (s *Session) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, errInvalid("dial", addr, fmt.Errorf("network %q: only tcp, tcp4 and tcp6 go through a direct-tcpip channel", network))
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, errInvalid("dial", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port <= 0 || port > 65535 {
		return nil, errInvalid("dial", addr, fmt.Errorf("port %q is not a number from 1 to 65535", portStr))
	}
	ch, err := s.openChannel(ctx, "dial", addr, func() *cshim.Channel {
		// The originator address is informational to the server; libssh2's example gives the
		// local end of its own listener, this one has none.
		return cshim.ChannelDirectTCPIPEx(s.s, host, port, "127.0.0.1", 0)
	})
	if err != nil {
		return nil, err
	}
	return &chanConn{ch: ch, remote: chanAddr{network, addr}, local: chanAddr{network, "127.0.0.1:0"}}, nil
}

// chanConn is a net.Conn over a direct-tcpip channel.
type chanConn struct {
	ch            *channel
	remote, local chanAddr
}

// chanAddr is the net.Addr of a channel's ends.
type chanAddr struct{ network, addr string }

func (a chanAddr) Network() string { return a.network }
func (a chanAddr) String() string  { return a.addr }

// Read reads data the far end sent (libssh2_channel_read_ex), waiting for some when there is none.
func (c *chanConn) Read(p []byte) (int, error) {
	if c == nil {
		return 0, errInvalid("read", "", fs.ErrInvalid)
	}
	n, err := c.ch.read(context.Background(), "read", cshim.StreamStdout, p)
	return n, netErr(err)
}

// Write sends all of p (libssh2_channel_write_ex), waiting for the far end's window as needed.
func (c *chanConn) Write(p []byte) (int, error) {
	if c == nil {
		return 0, errInvalid("write", "", fs.ErrInvalid)
	}
	n, err := c.ch.write(context.Background(), "write", cshim.StreamStdout, p)
	return n, netErr(err)
}

// Close closes the channel (libssh2_channel_free). When it cannot get the session within
// closeTimeout (another operation holds it), it returns that error and the channel is freed as
// soon as the session is free.
func (c *chanConn) Close() error {
	if c == nil {
		return errInvalid("close", "", fs.ErrInvalid)
	}
	return netErr(c.ch.close("close"))
}

// CloseWrite sends EOF (libssh2_channel_send_eof): the far end reads the end of the stream, and
// can still send.
func (c *chanConn) CloseWrite() error {
	_, err := c.ch.do(context.Background(), "closewrite", cshim.ChannelSendEOF)
	return netErr(err)
}

// netErr makes an error of a closed connection match net.ErrClosed as well as fs.ErrClosed, as
// net.Conn users test for the former.
func netErr(err error) error {
	var e *Error
	if errors.As(err, &e) && errors.Is(e.Err, fs.ErrClosed) && !errors.Is(e.Err, net.ErrClosed) {
		e.Err = errors.Join(e.Err, net.ErrClosed)
	}
	return err
}

func (c *chanConn) LocalAddr() net.Addr  { return c.local }
func (c *chanConn) RemoteAddr() net.Addr { return c.remote }

func (c *chanConn) SetDeadline(t time.Time) error {
	return c.ch.setDeadline(func() { c.ch.rdeadline, c.ch.wdeadline = t, t })
}

func (c *chanConn) SetReadDeadline(t time.Time) error {
	return c.ch.setDeadline(func() { c.ch.rdeadline = t })
}

func (c *chanConn) SetWriteDeadline(t time.Time) error {
	return c.ch.setDeadline(func() { c.ch.wdeadline = t })
}

var _ interface {
	net.Conn
	CloseWrite() error
} = (*chanConn)(nil)
