package libssh2_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"path/filepath"
	"strings"
	"time"

	"github.com/seed191f4051/go-libssh2/libssh2"
)

// ExampleSession_Command runs commands on the server, as x/crypto/ssh's Session or os/exec's Cmd
// would: one fed from a reader with its output collected, and one whose exit status is not 0,
// which comes back as an *ExitError. Copy it as Example says.
func ExampleSession_Command() {
	server, user, home := exampleTarget() // yours: "sftp.example.com:22", "you", os.UserHomeDir()

	hostKeys, err := libssh2.OpenKnownHosts(filepath.Join(home, ".ssh", "known_hosts"))
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sess, err := libssh2.Dial(ctx, "tcp", server, &libssh2.Config{
		User: user,
		Auth: []libssh2.AuthMethod{
			libssh2.Agent(),
			libssh2.PublicKeyFile(filepath.Join(home, ".ssh", "id_ed25519"), ""),
		},
		HostKeyCallback:   hostKeys.Check,
		KnownHostKeyTypes: hostKeys.KeyTypes,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer sess.Close()

	// The server's shell runs the command line; ctx ends it if it takes too long.
	cmd := sess.CommandContext(ctx, "tr a-z A-Z")
	cmd.Stdin = strings.NewReader("hello over ssh\n") // streamed, then end of file
	out, err := cmd.Output()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(out))

	err = sess.CommandContext(ctx, "echo 'no such thing' >&2; exit 3").Run()
	var exit *libssh2.ExitError
	if !errors.As(err, &exit) {
		log.Fatal(err) // the command could not run at all
	}
	fmt.Println("exit status", exit.ExitStatus())
	// Output:
	// HELLO OVER SSH
	// exit status 3
}
