package libssh2_test

import (
	"net"
	"testing"

	"golang.org/x/net/nettest"
)

// TestDialConnConformance runs the Go team's net.Conn conformance suite (golang.org/x/net/nettest:
// basic I/O, ping-pong, racing reads and writes, every kind of deadline, Close during I/O,
// concurrent methods) on a connection from Session.Dial, paired with the TCP connection the server
// made to a loopback listener.
func TestDialConnConformance(t *testing.T) {
	sess := dial(t, srv, config(t, srv))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
		c1, err = sess.Dial("tcp", ln.Addr().String())
		if err != nil {
			return nil, nil, nil, err
		}
		c2, err = ln.Accept()
		if err != nil {
			c1.Close()
			return nil, nil, nil, err
		}
		return c1, c2, func() { c1.Close(); c2.Close() }, nil
	})
}
