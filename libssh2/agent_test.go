package libssh2_test

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/seed191f4051/go-libssh2/libssh2"
)

// TestAgentAuth authenticates with a key held by a real ssh-agent started for the test.
func TestAgentAuth(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "agent.sock")
	agent := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := agent.Start(); err != nil {
		t.Fatalf("ssh-agent (openssh-client) cannot start: %v", err)
	}
	t.Cleanup(func() { agent.Process.Kill(); agent.Wait() })
	t.Setenv("SSH_AUTH_SOCK", sock)
	var out []byte
	var err error
	for i := 0; i < 50; i++ { // the agent needs a moment to listen
		if out, err = exec.Command("ssh-add", srv.KeyPath).CombinedOutput(); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("ssh-add: %v: %s", err, out)
	}
	cfg := config(t, srv)
	cfg.Auth = []libssh2.AuthMethod{libssh2.Agent()}
	dial(t, srv, cfg)
}
