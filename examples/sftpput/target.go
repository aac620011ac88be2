package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/seed191f4051/go-libssh2/examples/internal/sshconfig"
)

// target is where and as whom sftpput connects: the command line's flags first, then what the
// ssh_config file says about the host, then the defaults, as ssh decides.
type target struct {
	host string // the host name to connect to (ssh_config's HostName, or the host as given)
	port int
	user string
	// keys are the private key files to try, in order; explicit says they were named (-i or
	// IdentityFile) rather than the default ones found in ~/.ssh.
	keys     []string
	explicit bool
	// knownHosts is the known_hosts file to check the server against and to add to with -o
	// accept-new: ssh_config's first UserKnownHostsFile, or ~/.ssh/known_hosts.
	knownHosts string
}

// defaultKeys are the key files tried when neither -i nor IdentityFile names one, in ~/.ssh.
var defaultKeys = []string{"id_ed25519", "id_ecdsa", "id_rsa"}

// resolveTarget decides the target of o: the host as given on the command line (an alias, when
// ssh_config has a Host block for it), looked up in o.config (-F) or ~/.ssh/config.
func resolveTarget(o *options) (*target, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return nil, err
	}
	sshDir := filepath.Join(home, ".ssh")
	var h sshconfig.Host
	switch file := o.config; file {
	case "none":
	case "":
		if h, err = sshconfig.Lookup(filepath.Join(sshDir, "config"), o.host, home); err != nil {
			return nil, err
		}
	default:
		if _, err := os.Stat(file); err != nil {
			return nil, fmt.Errorf("-F %s: %s", file, describeLocal(err))
		}
		if h, err = sshconfig.Lookup(file, o.host, home); err != nil {
			return nil, err
		}
	}
	t := &target{port: 22}
	if t.host, err = sshconfig.ExpandHostName(h.HostName, o.host); err != nil {
		return nil, fmt.Errorf("HostName: %v", err)
	}
	switch {
	case o.portSet:
		t.port = o.port
	case h.Port != 0:
		t.port = h.Port
	}
	local, err := user.Current()
	if err != nil {
		return nil, err
	}
	switch {
	case o.user != "":
		t.user = o.user
	case h.User != "":
		t.user = h.User
	default:
		t.user = local.Username
	}
	tokens := map[byte]string{
		'd': home, 'u': local.Username, 'i': local.Uid, 'h': t.host, 'p': strconv.Itoa(t.port),
		'r': t.user, 'n': o.host,
	}
	switch {
	case o.identity != "":
		if _, err := os.Stat(o.identity); err != nil {
			return nil, fmt.Errorf("-i %s: %s", o.identity, describeLocal(err))
		}
		t.keys, t.explicit = []string{o.identity}, true
	case len(h.IdentityFiles) > 0:
		t.explicit = true
		for _, f := range h.IdentityFiles {
			k, err := sshconfig.Expand(f, tokens, home)
			if err != nil {
				return nil, fmt.Errorf("IdentityFile: %v", err)
			}
			// As ssh does, a named file that does not exist is passed over.
			if _, err := os.Stat(k); !errors.Is(err, fs.ErrNotExist) {
				t.keys = append(t.keys, k)
			}
		}
	default:
		for _, k := range defaultKeys {
			if _, err := os.Stat(filepath.Join(sshDir, k)); err == nil {
				t.keys = append(t.keys, filepath.Join(sshDir, k))
			}
		}
	}
	t.knownHosts = filepath.Join(sshDir, "known_hosts")
	if len(h.UserKnownHostsFiles) > 0 {
		if h.UserKnownHostsFiles[0] == "none" {
			t.knownHosts = os.DevNull
		} else if t.knownHosts, err = sshconfig.Expand(h.UserKnownHostsFiles[0], tokens, home); err != nil {
			return nil, fmt.Errorf("UserKnownHostsFile: %v", err)
		}
	}
	return t, nil
}

// remotePath turns a REMOTE argument into the path to give the SFTP server, expanding "~" as scp
// does: the server starts in the login (home) directory, so "~" is "." and "~/x" is "x". "~user"
// is refused: SFTP has no portable way to find another user's home.
func remotePath(p string) (string, error) {
	switch {
	case p == "~":
		return ".", nil
	case strings.HasPrefix(p, "~/"):
		if rest := strings.TrimLeft(p[2:], "/"); rest != "" {
			return rest, nil
		}
		return "./", nil
	case strings.HasPrefix(p, "~"):
		return "", fmt.Errorf("%q: ~user is not supported (only ~ and ~/ for the login directory)", p)
	}
	return p, nil
}
