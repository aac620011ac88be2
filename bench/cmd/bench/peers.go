package main

// The peers that are not SFTP libraries: several ssh sessions at once (cmd/sshcat), lftp (single
// and parallel transfers, mirror -R for trees) and scp. All of them run OpenSSH's ssh underneath,
// with the options of sshOpts.

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// sshOpts are the options every OpenSSH program of the bench gets: this server's key and
// known_hosts only, no user or system configuration, aes128-ctr and hmac-sha2-256.
func (e *env) sshOpts() []string {
	srv := e.srv
	return []string{"-F", "/dev/null", "-i", srv.KeyPath,
		"-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
		"-o", "UserKnownHostsFile=" + srv.KnownHostsPath, "-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "StrictHostKeyChecking=yes", "-o", "Ciphers=" + cipher, "-o", "MACs=" + mac}
}

// sshCat is the client that moves the file in *sshParts parts over as many ssh sessions at once.
func (e *env) sshCat(mode string) client {
	name := fmt.Sprintf("ssh cat x%d", *sshParts)
	if mode == "get" {
		name += " get"
	}
	return client{name: name, parts: *sshParts, argv: func(local, remote string, _ int) []string {
		size := *size
		a := []string{filepath.Join(e.bin, "sshcat"), "-n", strconv.Itoa(*sshParts), "-mode", mode,
			"-local", local, "-remote", remote, "-size", strconv.FormatInt(size, 10), "--", "ssh", "-a", "-x", "-T"}
		a = append(a, e.sshOpts()...)
		return append(a, "-p", strconv.Itoa(e.srv.Port), e.srv.User+"@"+e.srv.Host)
	}}
}

// splitParts writes LOCAL.part0 ... LOCAL.part<n-1>, the parts cmd/sshcat uploads (the same cut:
// part i is bytes [size*i/n, size*(i+1)/n)).
func splitParts(local string, size int64, n int) error {
	b, err := os.Open(local)
	if err != nil {
		return err
	}
	defer b.Close()
	for i := range n {
		off, end := size*int64(i)/int64(n), size*int64(i+1)/int64(n)
		out, err := os.Create(fmt.Sprintf("%s.part%d", local, i))
		if err != nil {
			return err
		}
		if _, err := out.ReadFrom(io.NewSectionReader(b, off, end-off)); err != nil {
			out.Close()
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
	}
	return nil
}

func removeParts(local string, n int) {
	for i := range n {
		os.Remove(fmt.Sprintf("%s.part%d", local, i))
	}
}

// lftp is a client running lftp with one transfer command (its %s are the local and the remote
// path, in the order the command wants them given by swap). lftp runs "ssh -a -x -s ... sftp" for
// every connection; the script forces the bench's ssh options there, fails on the first error
// without retrying, connects (cd) before the first timestamp, and brackets the command with two
// timestamps, as for OpenSSH's sftp.
func (e *env) lftp(name, command string, remoteFirst bool) client {
	return client{name: name, argv: func(local, remote string, _ int) []string {
		cmd := fmt.Sprintf(command, local, remote)
		if remoteFirst {
			cmd = fmt.Sprintf(command, remote, local)
		}
		srv := e.srv
		script := strings.Join([]string{
			"set cmd:fail-exit yes",
			"set net:max-retries 1",
			"set sftp:connect-program " + lftpQuote("ssh -a -x "+strings.Join(e.sshOpts(), " ")),
			fmt.Sprintf("open -u %s,unused -p %d sftp://%s", srv.User, srv.Port, srv.Host),
			"cd " + srv.SFTPRoot,
			"!date +%s.%N",
			cmd,
			"!date +%s.%N",
			"",
		}, "\n")
		path := filepath.Join(e.work, "lftp-"+fileName(name))
		os.WriteFile(path, []byte(script), 0o644)
		return []string{"lftp", "-f", path}
	}}
}

// lftpQuote quotes s as one argument of an lftp command.
func lftpQuote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

// scpStart is the line scp -v prints (from its ssh) once logged in, as it asks for the sftp
// subsystem (OpenSSH 9.0 and later) or runs the remote scp (-O): the transfer starts there.
var scpStart = regexp.MustCompile(`debug1: Sending (subsystem: sftp|command: scp )`)

// scp is scp -r, timed from scpStart to its exit, since it has no way to print timestamps.
func (e *env) scp() client {
	return client{name: "scp -r", startRE: scpStart, argv: func(local, remote string, _ int) []string {
		a := append([]string{"scp", "-v", "-r"}, e.sshOpts()...)
		return append(a, "-P", strconv.Itoa(e.srv.Port), local, e.srv.User+"@"+e.srv.Host+":"+remote)
	}}
}
