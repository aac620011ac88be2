// Command sftpput uploads files to an SSH server over SFTP, through libssh2, as comfortably as scp,
// and downloads them when the remote files come first:
//
//	sftpput [-P port] [-i key] [-F ssh_config] [-r] [-a] [-c cipher] [-o accept-new] [-q] LOCAL... [user@]host:REMOTE
//	sftpput [options] [user@]host:REMOTE... LOCAL
//
// Large files go over several sessions at once when the round trip makes that faster
// (libssh2.SFTP.Upload and Download), and -r keeps many files in flight over several SFTP channels
// of each of up to 8 sessions (libssh2.Batch). A REMOTE of "~" or "~/path" is the login directory or a path under it, as with
// scp; a relative REMOTE is relative to the login directory too.
//
// The host may be an alias of ~/.ssh/config (or of the -F file), which supplies HostName, Port,
// User, IdentityFile and UserKnownHostsFile as ssh reads them (the first value found wins; the
// command line's -P, -i and user@ win over the file). See help for the details.
//
// The server's host key must be in ~/.ssh/known_hosts (or the UserKnownHostsFile) or
// /etc/ssh/ssh_known_hosts, decided as ssh decides (libssh2.KnownHostsDB); an unknown host is refused
// with the key's SHA-256 fingerprint, unless -o accept-new, which adds it, hashed; a changed key, a
// key of a type other than the known ones and a key marked @revoked are refused. It authenticates with the ssh-agent ($SSH_AUTH_SOCK), then with the -i key,
// the IdentityFile keys or the default keys (~/.ssh/id_ed25519, id_ecdsa, id_rsa; the passphrase of
// an encrypted one is asked on the terminal if the others fail), then with a password read from the
// terminal, asked only when the server takes passwords (or keyboard-interactive). Echo is restored
// if the prompt is ended by Ctrl-C, Ctrl-\, SIGTERM or a hang-up.
//
// -r copies directories, creating them on the receiving side. Symbolic links in the tree are
// followed when they lead to a regular file inside the tree (it is copied under the link's name);
// a dangling link, a link leading outside the tree, a link to a directory and anything that is not
// a regular file or a directory are skipped, each named on stderr in one line; the rest of the
// tree is copied all the same, and the exit status is then 1, as scp's is for what it could not
// copy. The same holds for a remote tree's links when downloading.
//
// -a resumes interrupted transfers after the longest prefix that the partial file shares with the
// whole one, checked byte for byte, and sends the rest again (a transfer over several sessions that
// was killed leaves bytes, and holes, past its good prefix); a partial file larger than the whole one
// is refused. On a terminal it shows a progress line (file, bytes, rate, ETA). Ctrl-C stops after the bytes
// already in flight have landed, so that -a can resume; a second Ctrl-C stops at once. File names
// are printed with control characters escaped (\x1b, \n, ...), so that a name cannot drive the
// terminal.
//
// Exit status: 0 when every file is copied, 1 on failure or when something was skipped, 2 for a
// usage error, 130 when interrupted (128 + the signal's number for a signal at a prompt).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/seed191f4051/go-libssh2/examples/internal/term"
	"github.com/seed191f4051/go-libssh2/examples/internal/upload"
	"github.com/seed191f4051/go-libssh2/libssh2"
)

const usage = "usage: sftpput [-P port] [-i key] [-F ssh_config] [-r] [-a] [-c cipher] [-o accept-new] [-q] LOCAL... [user@]host:REMOTE\n" +
	"       sftpput [options] [user@]host:REMOTE... LOCAL   (download)"

const help = usage + `

Uploads LOCAL files to REMOTE on the SSH server host over SFTP. REMOTE is a directory (the
files keep their names) when it exists as one, ends with a slash, or several LOCALs are given.
With the remote files first and a local path last, as with scp, it downloads them instead; LOCAL
is then the directory when it is one, ends with a slash, or several REMOTEs are given.

REMOTE "~" or "~/path" is the login directory or a path under it (as with scp); a relative
REMOTE is relative to the login directory too.

Large files go over several sessions at once when the round trip makes that faster; with -r,
many files are in flight at once, over several channels of each of up to 8 sessions.

  -P port        the server's port (default: ssh_config's Port, or 22)
  -i key         private key file (default: ssh_config's IdentityFile, or ~/.ssh/id_ed25519,
                 id_ecdsa, id_rsa)
  -F file        the ssh_config file to read instead of ~/.ssh/config ("none": no file)
  -r             copy directories, creating them on the receiving side (symbolic links: below)
  -a             resume interrupted transfers after the bytes of the partial file that match
                 the whole one (checked byte for byte); the rest is sent again
  -c cipher      ciphers to allow, comma-separated, in order of preference (aes128-ctr, ...)
  -o accept-new  trust and remember an unknown host key (StrictHostKeyChecking=accept-new)
  -q             print nothing but errors

host may be an alias of ~/.ssh/config: its Host blocks (patterns with * ? and !negation)
supply HostName, Port, User, IdentityFile (~ and %d %u %h %r %p %n %% expanded) and
UserKnownHostsFile, the first value found winning, as with ssh; -P, -i and user@ win over
them. Include is followed; Match blocks are ignored (except Match all); /etc/ssh/ssh_config
is not read.

Host keys are checked against ~/.ssh/known_hosts (or the first UserKnownHostsFile) and
/etc/ssh/ssh_known_hosts, as ssh decides; -o accept-new adds an unknown key, hashed, and
never a changed one, one of another type or a revoked one.
Authentication: the ssh-agent ($SSH_AUTH_SOCK), then the keys (passphrases asked on the
terminal), then a password asked on the terminal, only when the server takes one; a server
that takes only keys refuses at once ("Permission denied (publickey)").

-r and symbolic links: a link to a regular file inside the tree is followed (the file is
copied under the link's name); a dangling link, a link leading outside the tree, a link to
a directory, and anything that is not a regular file or directory are skipped, one line
each on stderr, and the rest of the tree is copied; the exit status is then 1.

Ctrl-C stops after the bytes in flight have landed; -a resumes. File names are printed
with control characters escaped.
Exit status: 0 done, 1 failed or something skipped, 2 usage error, 130 interrupted
(128 + the signal's number for a signal at a password or passphrase prompt).`

// options are the command line's.
type options struct {
	port      int
	portSet   bool // -P was given: it wins over ssh_config
	identity  string
	config    string // -F
	recursive bool
	resume    bool
	ciphers   string
	acceptNew bool
	quiet     bool
	locals    []string
	user      string
	host      string
	remote    string
	// download: the arguments were [user@]host:REMOTE... LOCAL.
	download bool
	remotes  []string
	local    string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills at once
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr *os.File) int {
	o, err := parseArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		io.WriteString(stdout, help+"\n")
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "sftpput:", term.Escape(err.Error()))
		fmt.Fprintln(stderr, usage)
		return 2
	}
	// Check the local side before connecting: a typo should not cost a login.
	if o.download {
		if err := checkLocalTarget(o); err != nil {
			fmt.Fprintln(stderr, "sftpput:", term.Escape(err.Error()))
			return 1
		}
	}
	for _, l := range o.locals {
		st, err := os.Stat(l)
		if err != nil {
			fmt.Fprintf(stderr, "sftpput: %s: %s\n", term.Escape(l), describeLocal(err))
			return 1
		}
		if st.IsDir() && !o.recursive {
			fmt.Fprintf(stderr, "sftpput: %s: is a directory (use -r to upload directories)\n", term.Escape(l))
			return 1
		}
		if !st.IsDir() && !st.Mode().IsRegular() {
			fmt.Fprintf(stderr, "sftpput: %s: not a regular file\n", term.Escape(l))
			return 1
		}
	}
	t, err := resolveTarget(o)
	if err != nil {
		fmt.Fprintln(stderr, "sftpput:", term.Escape(oneLine(err)))
		return 1
	}
	c := &client{o: o, t: t, stderr: stderr}
	if !o.quiet {
		c.summary = stdout
		if term.IsTerminal(stdout) {
			c.progress, c.width = stdout, term.Width(stdout)
		}
	}
	err = c.connect(ctx)
	if err == nil {
		defer c.close()
		if o.download {
			err = c.downloadAll(ctx)
		} else {
			err = c.uploadAll(ctx)
		}
	}
	var ie *upload.InterruptedError
	var se *term.SignalError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &se): // at a prompt: the terminal is restored
		fmt.Fprintln(stderr, "sftpput:", se)
		return se.ExitCode()
	case errors.As(err, &ie):
		fmt.Fprintln(stderr, "sftpput:", err)
		return 130
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "sftpput: interrupted")
		return 130
	default:
		fmt.Fprintln(stderr, "sftpput:", term.Escape(describe(err)))
		return 1
	}
}

func parseArgs(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("sftpput", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // run prints one line and the usage
	fs.IntVar(&o.port, "P", 22, "the server's `port`")
	fs.StringVar(&o.identity, "i", "", "private `key` file to authenticate with (default ~/.ssh/id_ed25519, id_ecdsa, id_rsa)")
	fs.StringVar(&o.config, "F", "", "the ssh_config `file` to read instead of ~/.ssh/config (none: no file)")
	fs.BoolVar(&o.recursive, "r", false, "copy directories, creating them on the receiving side")
	fs.BoolVar(&o.resume, "a", false, "resume interrupted transfers (the partial file must be a prefix of the whole one)")
	fs.StringVar(&o.ciphers, "c", "", "`cipher`s to use, comma-separated in order of preference (libssh2 names, such as aes128-ctr)")
	var opt string
	fs.StringVar(&opt, "o", "", "`accept-new` (or StrictHostKeyChecking=accept-new): trust and remember an unknown host key")
	fs.BoolVar(&o.quiet, "q", false, "print nothing but errors")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	fs.Visit(func(f *flag.Flag) { o.portSet = o.portSet || f.Name == "P" })
	switch strings.ToLower(opt) {
	case "":
	case "accept-new", "stricthostkeychecking=accept-new":
		o.acceptNew = true
	default:
		return nil, fmt.Errorf("-o %s: only accept-new is supported", opt)
	}
	if o.port <= 0 || o.port > 65535 {
		return nil, fmt.Errorf("-P %d: not a port", o.port)
	}
	rest := fs.Args()
	if len(rest) < 2 {
		return nil, errors.New("need at least one LOCAL file and a [user@]host:REMOTE destination")
	}
	last := rest[len(rest)-1]
	if !isRemote(last) && isRemote(rest[0]) {
		return o, parseDownload(o, rest)
	}
	o.locals = rest[:len(rest)-1]
	var err error
	o.user, o.host, o.remote, err = parseDest(last)
	if err == nil {
		o.remote, err = remotePath(o.remote)
	}
	return o, err
}

// isRemote reports whether a command-line argument names a remote file, as scp decides: it has a
// colon, and no slash before it (so ./a:b is local).
func isRemote(arg string) bool {
	colon := strings.IndexByte(arg, ':')
	if strings.HasPrefix(arg, "[") {
		colon = strings.Index(arg, "]:")
	}
	return colon > 0 && !strings.Contains(arg[:colon], "/")
}

// parseDownload reads "[user@]host:REMOTE... LOCAL": every source on the same server.
func parseDownload(o *options, args []string) error {
	o.download = true
	o.local = args[len(args)-1]
	for _, a := range args[:len(args)-1] {
		if !isRemote(a) {
			return fmt.Errorf("%q: when downloading, every argument but the last must be [user@]host:REMOTE", a)
		}
		user, host, remote, err := parseDest(a)
		if err != nil {
			return err
		}
		if o.host != "" && (host != o.host || user != o.user) {
			return fmt.Errorf("%q: every source must be on the same server (%s)", a, o.host)
		}
		o.user, o.host = user, host
		if remote == "" {
			remote = "."
		}
		if remote, err = remotePath(remote); err != nil {
			return err
		}
		o.remotes = append(o.remotes, remote)
	}
	return nil
}

// parseDest splits "[user@]host:REMOTE"; host may be a bracketed IPv6 address.
func parseDest(d string) (user, host, remote string, err error) {
	if i := strings.LastIndex(d, "@"); i >= 0 && (strings.IndexByte(d, ':') < 0 || i < strings.IndexByte(d, ':')) {
		user, d = d[:i], d[i+1:]
	}
	if strings.HasPrefix(d, "[") {
		end := strings.Index(d, "]:")
		if end < 0 {
			return "", "", "", fmt.Errorf("%q: want [user@]host:REMOTE", d)
		}
		host, remote = d[1:end], d[end+2:]
	} else {
		i := strings.IndexByte(d, ':')
		if i < 0 {
			return "", "", "", fmt.Errorf("%q: the last argument must be [user@]host:REMOTE (a colon is missing)", d)
		}
		host, remote = d[:i], d[i+1:]
	}
	if host == "" {
		return "", "", "", fmt.Errorf("%q: no host", d)
	}
	return user, host, remote, nil
}

// describeLocal says what is wrong with a local path, without repeating it.
func describeLocal(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// describe says what went wrong in one line: plainly for the common remote failures, else with
// everything the error carries.
func describe(err error) string {
	var le *libssh2.Error
	if errors.As(err, &le) && le.Path != "" {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return le.Path + ": no such file or directory on the server"
		case errors.Is(err, fs.ErrPermission):
			return le.Path + ": permission denied on the server"
		}
	}
	return oneLine(err)
}

// oneLine keeps an error on one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
