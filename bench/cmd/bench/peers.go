package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// The parallel peers: N `ssh cat`-style sessions moving the parts of the file at once, and lftp
// (single get/put, pget -n N, mirror -R --parallel=N), all through OpenSSH's ssh with the bench's
// cipher and MAC. Each runs as one shell script that prints a timestamp before and after the
// transfer, as the sftp client's batch does.

// parallelPeers is N for the parallel peers.
const parallelPeers = 4

// sshArgs is the ssh command line (without the command) that every shell-driven peer uses.
func (e *env) sshArgs() []string {
	srv := e.srv
	return []string{"ssh", "-F", "/dev/null", "-i", srv.KeyPath, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
		"-o", "UserKnownHostsFile=" + srv.KnownHostsPath, "-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "StrictHostKeyChecking=yes", "-o", "Ciphers=" + cipher, "-o", "MACs=" + mac, "-p", strconv.Itoa(srv.Port)}
}

// stamped wraps a shell script between two timestamps.
func stamped(script string) []string {
	return []string{"sh", "-ec", "date +%s.%N\n" + script + "\ndate +%s.%N"}
}

// parts splits n bytes into parallelPeers runs of whole 64 KiB blocks (the last takes the rest):
// their first block and block count (0: to the end).
func parts(n int64) [][2]int64 {
	blocks := (n + 65535) / 65536
	per := (blocks + parallelPeers - 1) / parallelPeers
	var ps [][2]int64
	for i := int64(0); i < parallelPeers; i++ {
		first := i * per
		if first >= blocks {
			break
		}
		ps = append(ps, [2]int64{first, min(per, blocks-first)})
	}
	return ps
}

// sshCatPut uploads local as remote with parallelPeers ssh sessions, each writing its part with dd.
func (e *env) sshCatPut(local, remote string, n int64) []string {
	ssh := strings.Join(e.sshArgs(), " ")
	host := e.srv.User + "@" + e.srv.Host
	var b strings.Builder
	for _, p := range parts(n) {
		fmt.Fprintf(&b, "dd if=%s bs=64K skip=%d count=%d status=none | %s %s 'dd of=%s bs=64K seek=%d conv=notrunc iflag=fullblock status=none' &\n",
			local, p[0], p[1], ssh, host, remote, p[0])
	}
	b.WriteString("wait")
	return stamped(b.String())
}

// sshCatGet downloads remote as local with parallelPeers ssh sessions, each reading its part with dd.
func (e *env) sshCatGet(local, remote string, n int64) []string {
	ssh := strings.Join(e.sshArgs(), " ")
	host := e.srv.User + "@" + e.srv.Host
	var b strings.Builder
	for _, p := range parts(n) {
		fmt.Fprintf(&b, "%s %s 'dd if=%s bs=64K skip=%d count=%d status=none' | dd of=%s bs=64K seek=%d conv=notrunc iflag=fullblock status=none &\n",
			ssh, host, remote, p[0], p[1], local, p[0])
	}
	b.WriteString("wait")
	return stamped(b.String())
}

// lftp runs lftp commands on the server over SFTP, through the same ssh.
func (e *env) lftp(commands string) []string {
	ssh := e.sshArgs()
	// lftp adds -l USER -p PORT HOST -s sftp itself; the port in sshArgs would come twice.
	ssh = ssh[:len(ssh)-2]
	script := fmt.Sprintf("set sftp:connect-program %q; set net:max-retries 1; set cmd:fail-exit yes; open -u %s, -p %d sftp://%s; %s",
		strings.Join(ssh, " ")+" -a -x", e.srv.User, e.srv.Port, e.srv.Host, commands)
	return stamped(fmt.Sprintf("lftp -c %s", shellQuote(script)))
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// peerUploads are the parallel peers of the upload rows.
func (e *env) peerUploads() []client {
	return []client{
		{name: fmt.Sprintf("%d x ssh cat", parallelPeers), argv: func(local, remote string, _ int) []string {
			return e.sshCatPut(local, remote, fileSize(local))
		}},
		{name: "lftp put", argv: func(local, remote string, _ int) []string {
			return e.lftp(fmt.Sprintf("put %s -o %s", local, remote))
		}},
	}
}

// peerDownloads are the parallel peers of the download rows.
func (e *env) peerDownloads() []client {
	return []client{
		{name: fmt.Sprintf("%d x ssh cat get", parallelPeers), argv: func(local, remote string, _ int) []string {
			return e.sshCatGet(local, remote, fileSize(remote))
		}},
		{name: "lftp get", argv: func(local, remote string, _ int) []string {
			return e.lftp(fmt.Sprintf("get %s -o %s", remote, local))
		}},
		{name: fmt.Sprintf("lftp pget -n %d", parallelPeers), argv: func(local, remote string, _ int) []string {
			return e.lftp(fmt.Sprintf("pget -n %d %s -o %s", parallelPeers, remote, local))
		}},
	}
}

// bindingParallel is the binding's Upload or Download client, with default options.
func (e *env) bindingParallel(mode string) client {
	name := "binding Upload"
	if mode == "download" {
		name = "binding Download"
	}
	return client{name: name, argv: func(local, remote string, _ int) []string {
		return []string{filepath.Join(e.bin, "binding"), "-addr", e.srv.Addr, "-user", e.srv.User, "-key", e.srv.KeyPath,
			"-knownhosts", e.srv.KnownHostsPath, "-local", local, "-remote", remote, "-mode", mode}
	}}
}
