package libssh2_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"path/filepath"
	"time"

	"github.com/seed191f4051/go-libssh2/libssh2"
)

// A jump host (ssh -J): the session to the bastion opens a direct-tcpip channel to the target, and
// a second session runs over that channel, with libssh2 on both hops. Both hosts' keys are checked
// against known_hosts; the target's under the name and port given to Dial.
func ExampleSession_Dial() {
	server, user, home := exampleTarget() // yours: "bastion.example.com:22", "you", os.UserHomeDir()
	target := server                      // yours: "inner.example.com:22", as the bastion resolves it

	hostKeys, err := libssh2.OpenKnownHosts(filepath.Join(home, ".ssh", "known_hosts"))
	if err != nil {
		log.Fatal(err)
	}
	config := &libssh2.Config{
		User:              user,
		Auth:              []libssh2.AuthMethod{libssh2.Agent(), libssh2.PublicKeyFile(filepath.Join(home, ".ssh", "id_ed25519"), "")},
		HostKeyCallback:   hostKeys.Check,
		KnownHostKeyTypes: hostKeys.KeyTypes,
		KeepAlive:         30 * time.Second, // keep an idle bastion connection open
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bastion, err := libssh2.Dial(ctx, "tcp", server, config)
	if err != nil {
		log.Fatal(err)
	}
	defer bastion.Close()

	conn, err := bastion.DialContext(ctx, "tcp", target)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	inner, err := libssh2.NewSession(ctx, conn, config) // conn has no file descriptor: libssh2's callbacks carry it
	if err != nil {
		log.Fatal(err)
	}
	defer inner.Close()

	sftp, err := inner.SFTP()
	if err != nil {
		log.Fatal(err)
	}
	f, err := sftp.Open("report.txt")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	report, err := io.ReadAll(f)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(report))
	// Output:
	// revenue 42
	// costs 40
}
