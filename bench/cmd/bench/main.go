// Command bench compares uploads and downloads to and from one throw-away OpenSSH sshd
// (internal/sshd, files in tmpfs) by several clients, each run as its own subprocess so that its CPU
// time, context switches and peak RSS are its own: this binding through io.Copy, 32 KiB Writes and
// SFTP.Upload/Download over several sessions, a C program using libssh2 directly (several window and
// buffer sizes), OpenSSH's sftp, pkg/sftp, lftp (single and pget -n 4), and several ssh sessions at
// once moving parts of the file (cmd/sshcat); and the upload of a tree of small files by the binding
// (a Batch), sftp put -r, scp -r and lftp mirror -R (tree.go). All use aes128-ctr and hmac-sha2-256,
// which it checks in sshd's log. Rounds are interleaved; every transfer is checked by SHA-256 (every
// file of a tree). Run it from the bench module's directory (make bench).
//
// With -latency the server runs in one network namespace and the clients in another, joined by the
// netdelay delay line (about 50 ms round trip). With -memcheck it moves 1 GiB through every mode of
// the binding and reports each process's peak RSS.
//
// It prints each target of targets.go as MET or MISSED. It exits non-zero when a transfer fails or
// arrives wrong; a missed target is only reported.
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/seed191f4051/go-libssh2/internal/sshd"
)

const (
	cipher = "aes128-ctr"
	mac    = "hmac-sha2-256"
	// sshdWindow is OpenSSH's session channel window (CHAN_SES_WINDOW_DEFAULT): no client can have
	// more than this in flight per round trip.
	sshdWindow = 2 << 20
)

var (
	size         = flag.Int64("size", 256<<20, "bytes per upload")
	rounds       = flag.Int("rounds", 0, "interleaved rounds (default 5; with -latency 3)")
	windowsArg   = flag.String("windows", "", "window sizes in bytes for the C sliding-window client (default "+defaultWindows+"; with -latency "+defaultLatencyWindows+")")
	latency      = flag.Bool("latency", false, "run the server behind a ~50 ms round-trip delay line (netdelay; needs root)")
	netdelay     = flag.String("netdelay", "../../shared/tools/netdelay/link", "the netdelay link script (-latency; make passes ../shared/tools/netdelay/link of the project root)")
	delay        = flag.String("delay", "25ms", "one-way delay for -latency")
	slowSize     = flag.Int64("slowsize", 4<<20, "with -latency: bytes for the client that waits for each packet's acknowledgement")
	memcheck     = flag.Bool("memcheck", false, "also move 1 GiB through every mode of the binding (the -only ones, if any) and report each one's peak RSS")
	memSize      = flag.Int64("memsize", 1<<30, "bytes for -memcheck")
	only         = flag.String("only", "", "comma-separated client names to run (default all; c: every C variant)")
	binWindow    = flag.Int("binwindow", 0, "write window for the binding's clients (0: the library's default)")
	cpuProfile   = flag.String("cpuprofile", "", "write a CPU profile of the binding's io.Copy upload in round 1 to this file")
	keep         = flag.Bool("v", false, "print each upload as it finishes")
	binWindows   = flag.String("binwindows", "", "extra binding io.Copy clients with these write windows (comma-separated bytes), for tuning")
	before       = flag.String("before", "", "also run the binding's io.Copy built from this git revision of the project (before/after in one run)")
	wrap         = flag.String("wrap", "", "a command prefix for every client, for diagnosis (such as \"perf stat --\"); it skews CPU and RSS")
	rows         = flag.String("rows", "up,down,tree", "what to measure: up (uploads), down (downloads), tree (a tree of small files), comma-separated")
	readBufs     = flag.String("readbufs", "", "buffer sizes in bytes for the C libssh2_sftp_read client, which reads ahead 4x (default "+defaultReadBufs+"; with -latency "+defaultLatencyReadBufs+")")
	sshParts     = flag.Int("sshparts", 4, "ssh sessions of the ssh cat peer")
	lftpParallel = flag.Int("lftpparallel", 32, "lftp mirror --parallel: the connections lftp opens (the binding's Batch keeps up to 64 files in flight over 8 sessions)")
	treeFiles    = flag.Int("treefiles", 1000, "files in the tree")
	treeFileSize = flag.Int64("treefilesize", 4096, "bytes per file of the tree")
	treeDirs     = flag.Int("treedirs", 10, "directories the tree's files are spread over")
	treeRounds   = flag.Int("treerounds", 0, "rounds of the tree row (0: -rounds)")
	treeSlow     = flag.Int("treeslowrounds", 1, "with -latency: the tree rounds in which sftp put -r and scp -r run (at 50 ms they take minutes per round, and their time is set by the round trip)")
	rttAddr      = flag.String("rttprobe", "", "internal: print the round-trip time to this host:port and exit")
	sinkAddr     = flag.String("tcpsink", "", "internal: discard what TCP connections to this host:port send")
	sendAddr     = flag.String("tcpsend", "", "internal: send to a -tcpsink at this host:port and print MiB/s")
	sendConns    = flag.Int("conns", 1, "internal: connections for -tcpsend")
)

// The C client's sizes. At 50 ms the smaller ones cannot fill the round trip and take minutes per
// upload, so -latency measures only those that can.
const (
	defaultWindows         = "240000,480000,960000,1920000,3840000"
	defaultLatencyWindows  = "1920000,3840000"
	defaultReadBufs        = "120000,480000,960000,1920000"
	defaultLatencyReadBufs = "480000,1920000"
)

func main() {
	flag.Parse()
	if *rttAddr != "" || *sinkAddr != "" || *sendAddr != "" {
		var err error
		switch {
		case *rttAddr != "":
			err = rttProbe(*rttAddr)
		case *sinkAddr != "":
			err = tcpSink(*sinkAddr)
		default:
			err = tcpSend(*sendAddr, *sendConns)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(2)
		}
		return
	}
	code, err := run()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	os.Exit(code)
}

// client is one way of uploading.
type client struct {
	name string
	// argv builds the command for uploading local (of n bytes) to remote.
	argv func(local, remote string, round int) []string
	// slow: at high latency it waits a round trip per packet (uploads: it gets -slowsize bytes)
	// or per file (trees: it runs in the first -treeslowrounds rounds only).
	slow bool
	// window is the C client's window size, 0 for the others.
	window int
	// single: a client with one stream, whose best the parallel modes are measured against.
	single bool
	// parts: the upload's parts LOCAL.part<i> must exist (ssh cat).
	parts int
	// startRE, when set, is the line of the client's standard error at which the transfer starts
	// (the client prints no time of its own); it ends when the client exits.
	startRE *regexp.Regexp
}

// result is one transfer.
type result struct {
	secs        float64 // from opening the remote file to closing it
	cpu         float64 // user+sys of the whole client process (and its children), seconds
	srvCPU      float64 // user+sys of sshd's sessions of the transfer (sftp-server or dd included), seconds; -1: not known
	vcsw, ivcsw int64   // voluntary and involuntary context switches (ru_nvcsw, ru_nivcsw), children included
	maxRSS      int64   // bytes
	bytes       int64
	files       int // trees
	mibPerS     float64
}

type env struct {
	srv     *sshd.Server
	work    string // tmpfs directory for the files and binaries
	bin     string
	prefix  []string // runs a client command in the client namespace
	logSeen int
	// With -latency: runs a command in the server's namespace, and the two ends' addresses.
	srvPrefix        []string
	cliHost, srvHost string
}

func run() (int, error) {
	if _, err := os.Stat("go.mod"); err != nil {
		return 0, errors.New("run me from the bench module's directory (make bench)")
	}
	work, err := tmpfsDir()
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(work)
	// internal/sshd makes its directory (and SFTPRoot) under TMPDIR: put it in tmpfs as well.
	os.Setenv("TMPDIR", work)
	e := &env{work: work, bin: filepath.Join(work, "bin")}
	fmt.Println("building the clients...")
	if err := e.build(); err != nil {
		return 0, err
	}

	if *windowsArg == "" {
		*windowsArg = defaultWindows
		if *latency {
			*windowsArg = defaultLatencyWindows
		}
	}
	if *readBufs == "" {
		*readBufs = defaultReadBufs
		if *latency {
			*readBufs = defaultLatencyReadBufs
		}
	}
	if *rounds == 0 {
		*rounds = 5
		if *latency {
			*rounds = 3
		}
	}

	// sshd runs every session's command, sftp-server included, through the user's shell, and bash
	// reads ~/.bashrc when sshd starts it: on a machine whose .bashrc does real work (pyenv init
	// took a second per session here) every extra session of a parallel client would pay for it.
	// The sessions get an empty HOME instead.
	home := filepath.Join(work, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return 0, err
	}
	opts := sshd.Options{LogLevel: "DEBUG1", ExtraConfig: []string{"SetEnv HOME=" + home}}
	rtt := 0.0
	if *latency {
		vars, down, err := linkUp(*netdelay, *delay)
		if err != nil {
			return 0, err
		}
		defer down()
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
		go func() { <-stop; down(); os.Exit(130) }()
		opts.Command = []string{"ip", "netns", "exec", vars["LINK_SRV_NS"]}
		opts.ListenAddr = vars["LINK_SRV_ADDR"]
		e.prefix = []string{"ip", "netns", "exec", vars["LINK_CLI_NS"]}
		e.srvPrefix, e.cliHost, e.srvHost = opts.Command, vars["LINK_CLI_ADDR"], vars["LINK_SRV_ADDR"]
	}
	srv, err := sshd.Start(opts)
	if err != nil {
		return 0, err
	}
	defer srv.Close()
	e.srv = srv
	if *latency {
		if rtt, err = probeRTT(e.prefix, srv.Addr); err != nil {
			return 0, err
		}
		fmt.Printf("link up: clients in namespace %s, sshd in %s at %s, measured RTT %.1f ms\n",
			e.prefix[3], opts.Command[3], srv.Addr, rtt*1000)
	}
	fmt.Println(machine(e.prefix))

	fmt.Printf("generating %d MiB of random data...\n", *size>>20)
	local := filepath.Join(work, "upload.bin")
	sum, err := genFile(local, *size, 1)
	if err != nil {
		return 0, err
	}
	slowLocal, slowSum := local, sum
	if *latency && *slowSize < *size {
		slowLocal = filepath.Join(work, "upload-slow.bin")
		if slowSum, err = genFile(slowLocal, *slowSize, 1); err != nil {
			return 0, err
		}
	}

	failures := 0
	rowList := strings.Split(*rows, ",")
	if slices.Contains(rowList, "up") {
		clients := filter(e.clients())
		for _, c := range clients {
			if c.parts > 0 {
				if err := splitParts(local, *size, c.parts); err != nil {
					return 0, err
				}
				defer removeParts(local, c.parts)
			}
		}
		capacity := e.capacity(true)
		results := map[string][]result{}
		fmt.Println("uploads:")
		for r := 1; r <= *rounds; r++ {
			fmt.Printf("round %d/%d\n", r, *rounds)
			for _, c := range clients {
				src, want, n := local, sum, *size
				if c.slow && *latency {
					src, want, n = slowLocal, slowSum, min(*slowSize, *size)
				}
				remote := srv.Path("up-" + fileName(c.name) + ".bin")
				res, err := e.upload(c, src, remote, want, n, r)
				failures += e.record(c, res, err, results)
			}
		}
		fmt.Println()
		all := printTable(false, clients, results, rtt)
		fmt.Print(capacity)
		upTargets(all, rtt)
	}
	if slices.Contains(rowList, "down") {
		// The server's copy of the same file, in its tmpfs.
		remote := srv.Path("download.bin")
		if err := copyFile(local, remote); err != nil {
			return 0, err
		}
		clients := filter(e.downClients())
		capacity := e.capacity(false)
		results := map[string][]result{}
		fmt.Println("\ndownloads:")
		for r := 1; r <= *rounds; r++ {
			fmt.Printf("round %d/%d\n", r, *rounds)
			for _, c := range clients {
				dst := filepath.Join(e.work, "down-"+fileName(c.name)+".bin")
				res, err := e.download(c, remote, dst, sum, *size, r)
				failures += e.record(c, res, err, results)
			}
		}
		os.Remove(remote)
		fmt.Println()
		all := printTable(true, clients, results, rtt)
		fmt.Print(capacity)
		downTargets(all, rtt)
	}
	if slices.Contains(rowList, "tree") {
		fmt.Printf("\ngenerating a tree of %d files of %d bytes...\n", *treeFiles, *treeFileSize)
		t, err := genTree(filepath.Join(work, "tree"), *treeFiles, *treeFileSize, *treeDirs, 3)
		if err != nil {
			return 0, err
		}
		clients := filter(e.treeClients())
		results := map[string][]result{}
		fmt.Println("tree:")
		for r := 1; r <= treeRoundCount(); r++ {
			fmt.Printf("round %d/%d\n", r, treeRoundCount())
			for _, c := range clients {
				if c.slow && *latency && r > *treeSlow {
					continue
				}
				res, err := e.treeUpload(c, t, srv.Path("tree-"+fileName(c.name)), r)
				failures += e.record(c, res, err, results)
			}
		}
		os.RemoveAll(t.dir)
		fmt.Println()
		all := printTreeTable(clients, results, t, rtt)
		treeTargets(all, rtt)
	}
	if *memcheck {
		failures += e.memCheck()
	}
	if failures > 0 {
		fmt.Printf("\n%d transfer(s) failed or were wrong\n", failures)
		return 1, nil
	}
	return 0, nil
}

// filter keeps the clients -only names (all without it); "c" names every C variant.
func filter(cs []client) []client {
	if *only == "" {
		return cs
	}
	want := strings.Split(*only, ",")
	return slices.DeleteFunc(cs, func(c client) bool {
		return !slices.Contains(want, c.name) && !(c.window > 0 && slices.Contains(want, "c"))
	})
}

// record keeps a transfer's result, or reports its failure; it returns the number of failures.
func (e *env) record(c client, res result, err error, results map[string][]result) int {
	if err != nil {
		fmt.Printf("  FAIL %-28s %v\n", c.name, err)
		return 1
	}
	results[c.name] = append(results[c.name], res)
	if *keep {
		fmt.Printf("  %-30s %8.1f MiB/s  %7.2fs  cpu %.2fs  cs %d+%d  rss %d MiB\n", c.name, res.mibPerS, res.secs, res.cpu,
			res.vcsw, res.ivcsw, res.maxRSS>>20)
	}
	return 0
}

func fileName(client string) string {
	return strings.NewReplacer(" ", "_", "/", "_").Replace(client)
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// tmpfsDir makes the work directory in /dev/shm, which must be a tmpfs.
func tmpfsDir() (string, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs("/dev/shm", &st); err != nil {
		return "", fmt.Errorf("/dev/shm: %v (the benchmark keeps its files in tmpfs)", err)
	}
	if st.Type != 0x01021994 { // TMPFS_MAGIC
		return "", errors.New("/dev/shm is not a tmpfs (the benchmark keeps its files in tmpfs)")
	}
	return os.MkdirTemp("/dev/shm", "go-libssh2-bench-")
}

// build compiles the Go clients and the C client into e.bin.
func (e *env) build() error {
	if err := os.MkdirAll(e.bin, 0o755); err != nil {
		return err
	}
	for _, p := range []string{"binding", "pkgsftp", "sshcat"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(e.bin, p), "./cmd/"+p)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build ./cmd/%s: %v\n%s", p, err, out)
		}
	}
	if *before != "" {
		// The library as it was at that revision, with this revision's client program.
		src := filepath.Join(e.work, "before")
		if err := os.MkdirAll(src, 0o755); err != nil {
			return err
		}
		cmd := exec.Command("sh", "-c", "git archive --format=tar \"$0\" | tar -x -C \"$1\"", *before, src)
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("git archive %s: %v\n%s", *before, err, out)
		}
		os.MkdirAll(filepath.Join(src, "bench", "cmd", "binding"), 0o755)
		// This revision's client program without its multi-session modes (tag nobatch), whose API an
		// older library lacks.
		for _, f := range []string{"go.mod", "go.sum", "cmd/binding/main.go", "cmd/binding/parallel.go", "cmd/binding/parallel_none.go"} {
			b, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(src, "bench", f), b, 0o644); err != nil {
				return err
			}
		}
		cmd = exec.Command("go", "build", "-mod=mod", "-tags", "nobatch", "-o", filepath.Join(e.bin, "binding-before"), "./cmd/binding")
		cmd.Dir = filepath.Join(src, "bench")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("building the binding at %s: %v\n%s", *before, err, out)
		}
	}
	for _, prog := range []string{"lftp", "scp", "sftp", "ssh"} {
		if _, err := exec.LookPath(prog); err != nil && (*only == "" || strings.Contains(*only, prog)) {
			return fmt.Errorf("%s is not installed: make bench-deps installs the bench's peers", prog)
		}
	}
	flags, err := exec.Command("pkg-config", "--cflags", "--libs", "libssh2").Output()
	if err != nil {
		return fmt.Errorf("pkg-config libssh2: %v (install libssh2-1-dev and pkg-config: make deps)", err)
	}
	args := append([]string{"-O2", "-Wall", "-o", filepath.Join(e.bin, "libssh2_client"), "c/libssh2_client.c"}, strings.Fields(string(flags))...)
	if out, err := exec.Command("cc", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("cc c/libssh2_client.c: %v\n%s", err, out)
	}
	if out, err := exec.Command("cc", "-O2", "-Wall", "-o", filepath.Join(e.bin, "rusage"), "c/rusage.c").CombinedOutput(); err != nil {
		return fmt.Errorf("cc c/rusage.c: %v\n%s", err, out)
	}
	return nil
}

// downClients lists the downloaders, in the order of every round.
func (e *env) downClients() []client {
	srv := e.srv
	goArgs := func(prog, mode string) func(string, string, int) []string {
		return func(local, remote string, round int) []string {
			return []string{filepath.Join(e.bin, prog), "-addr", srv.Addr, "-user", srv.User, "-key", srv.KeyPath,
				"-knownhosts", srv.KnownHostsPath, "-local", local, "-remote", remote, "-mode", mode}
		}
	}
	cs := []client{
		{name: "binding io.Copy get", argv: goArgs("binding", "get")},
		{name: "binding Download", argv: goArgs("binding", "download")},
	}
	if *before != "" {
		cs = append(cs, client{name: "binding io.Copy get @" + *before, argv: func(local, remote string, round int) []string {
			a := goArgs("binding", "get")(local, remote, round)
			a[0] = filepath.Join(e.bin, "binding-before")
			return a
		}})
	}
	for _, w := range parseInts(*readBufs) {
		cs = append(cs, client{name: fmt.Sprintf("C libssh2 get buf=%d", w), window: w, single: true, argv: func(local, remote string, _ int) []string {
			return e.cArgs(local, remote, "get", "-window", strconv.Itoa(w))
		}})
	}
	return append(cs,
		client{name: "OpenSSH sftp get", single: true, argv: func(local, remote string, _ int) []string {
			return e.sftpArgs(fmt.Sprintf("get %s %s", remote, local))
		}},
		client{name: "pkg/sftp get", single: true, argv: goArgs("pkgsftp", "get")},
		e.sshCat("get"),
		e.lftp("lftp get", "get %s -o %s", true),
		e.lftp("lftp pget -n 4", "pget -n 4 %s -o %s", true),
	)
}

// cArgs is the command line of the C client (c/libssh2_client.c) in mode, then extra flags.
func (e *env) cArgs(local, remote, mode string, extra ...string) []string {
	srv := e.srv
	return append([]string{filepath.Join(e.bin, "libssh2_client"), "-host", srv.Host, "-port", strconv.Itoa(srv.Port),
		"-user", srv.User, "-key", srv.KeyPath, "-knownhosts", srv.KnownHostsPath,
		"-local", local, "-remote", remote, "-mode", mode}, extra...)
}

// sftpArgs is the OpenSSH sftp command for a batch with one transfer command. The two timestamps
// bracket it (open, transfer, close), as the other clients time it.
func (e *env) sftpArgs(command string) []string {
	srv := e.srv
	batch := filepath.Join(e.work, "batch")
	os.WriteFile(batch, []byte("!date +%s.%N\n"+command+"\n!date +%s.%N\n"), 0o644)
	a := append([]string{"sftp", "-b", batch}, e.sshOpts()...)
	return append(a, "-P", strconv.Itoa(srv.Port), srv.User+"@"+srv.Host)
}

// clients lists the uploaders, in the order of every round.
func (e *env) clients() []client {
	srv := e.srv
	goArgs := func(prog, mode string, extra ...string) func(string, string, int) []string {
		return func(local, remote string, round int) []string {
			a := []string{filepath.Join(e.bin, prog), "-addr", srv.Addr, "-user", srv.User, "-key", srv.KeyPath,
				"-knownhosts", srv.KnownHostsPath, "-local", local, "-remote", remote, "-mode", mode}
			return append(a, extra...)
		}
	}
	var binExtra []string
	if *binWindow > 0 {
		binExtra = []string{"-window", strconv.Itoa(*binWindow)}
	}
	bindingCopy := goArgs("binding", "copy", binExtra...)
	cs := []client{
		{name: "binding io.Copy", argv: func(local, remote string, round int) []string {
			a := bindingCopy(local, remote, round)
			if *cpuProfile != "" && round == 1 {
				a = append(a, "-cpuprofile", *cpuProfile)
			}
			return a
		}},
		{name: "binding 32KiB Write", argv: goArgs("binding", "write32k", binExtra...)},
		{name: "binding Upload", argv: goArgs("binding", "upload")},
	}
	for _, w := range parseInts(*binWindows) {
		cs = append(cs, client{name: fmt.Sprintf("binding io.Copy w=%d", w), argv: goArgs("binding", "copy", "-window", strconv.Itoa(w))})
	}
	if *before != "" {
		cs = append(cs, client{name: "binding io.Copy @" + *before, argv: func(local, remote string, _ int) []string {
			a := goArgs("binding", "copy", binExtra...)(local, remote, 0)
			a[0] = filepath.Join(e.bin, "binding-before")
			return a
		}})
	}
	for _, w := range parseInts(*windowsArg) {
		w := w
		cs = append(cs, client{name: fmt.Sprintf("C libssh2 w=%d", w), window: w, single: true, argv: func(local, remote string, _ int) []string {
			return e.cArgs(local, remote, "put", "-window", strconv.Itoa(w))
		}})
	}
	cs = append(cs,
		client{name: "OpenSSH sftp", single: true, argv: func(local, remote string, _ int) []string {
			return e.sftpArgs(fmt.Sprintf("put %s %s", local, remote))
		}},
		client{name: "pkg/sftp concurrent", single: true, argv: goArgs("pkgsftp", "concurrent")},
		client{name: "pkg/sftp 32KiB", single: true, argv: goArgs("pkgsftp", "copy32k"), slow: true},
		e.sshCat("put"),
		e.lftp("lftp put", "put %s -o %s", false),
	)
	return cs
}

func parseInts(list string) []int {
	var ws []int
	for _, f := range strings.Split(list, ",") {
		if w, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && w > 0 {
			ws = append(ws, w)
		}
	}
	return ws
}

var (
	transferRE = regexp.MustCompile(`(?m)^transfer_seconds ([0-9.]+)$`)
	stampRE    = regexp.MustCompile(`(?m)^([0-9]{9,}\.[0-9]+)$`)
	kexRE      = regexp.MustCompile(`kex: (client->server|server->client) cipher: (\S+) MAC: (\S+)`)
)

// upload runs one uploading client and checks what arrived on the server.
func (e *env) upload(c client, local, remote, want string, n int64, round int) (result, error) {
	return e.transfer(c, local, remote, remote, want, n, round)
}

// download runs one downloading client and checks what arrived here.
func (e *env) download(c client, remote, local, want string, n int64, round int) (result, error) {
	return e.transfer(c, local, remote, local, want, n, round)
}

// transfer runs one client (between local and remote) and checks the SHA-256 of check afterwards.
func (e *env) transfer(c client, local, remote, check, want string, n int64, round int) (result, error) {
	os.Remove(check)
	defer os.Remove(check)
	return e.runClient(c, c.argv(local, remote, round), n, func() error {
		got, err := e.srv.SHA256(check)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("checksum of the transferred file is %s, want %s", got, want)
		}
		return nil
	})
}

// runClient runs one client's command, moving n bytes, checks the cipher and MAC sshd negotiated and
// then what arrived (verify), and returns the time the client reports (or c.startRE's) with the
// process's rusage.
func (e *env) runClient(c client, argv []string, n int64, verify func() error) (result, error) {
	// The client runs under c/rusage.c, which reports its true peak RSS (see there); its CPU time
	// and context switches are the rusage of the whole subprocess (rusage's own are negligible).
	rssFile := filepath.Join(e.work, "rusage.out")
	os.Remove(rssFile)
	argv = slices.Concat(e.prefix, []string{filepath.Join(e.bin, "rusage"), rssFile}, strings.Fields(*wrap), argv)
	cmd := exec.Command(argv[0], argv[1:]...)
	var stdout bytes.Buffer
	stderr := &startWatch{re: c.startRE}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	srv0 := e.sessionsCPU()
	start := time.Now()
	err := cmd.Run()
	end := time.Now()
	if err != nil {
		return result{}, fmt.Errorf("%v: %s", err, lastLines(stderr.String()+stdout.String(), 5))
	}
	srvCPU := -1.0
	if srv1 := e.sessionsCPU(); srv0 >= 0 && srv1 >= 0 {
		srvCPU = srv1 - srv0
	}
	if err := e.checkCipher(); err != nil {
		return result{}, err
	}
	if err := verify(); err != nil {
		return result{}, err
	}
	secs := 0.0
	if c.startRE != nil {
		if at := stderr.started(); !at.IsZero() {
			secs = end.Sub(at).Seconds()
		}
	} else if m := transferRE.FindStringSubmatch(stdout.String()); m != nil {
		secs, _ = strconv.ParseFloat(m[1], 64)
	} else if ms := stampRE.FindAllStringSubmatch(stdout.String(), -1); len(ms) == 2 {
		a, _ := strconv.ParseFloat(ms[0][1], 64)
		b, _ := strconv.ParseFloat(ms[1][1], 64)
		secs = b - a
	}
	if secs <= 0 || secs > end.Sub(start).Seconds() {
		return result{}, fmt.Errorf("no transfer time in the client's output: %s", lastLines(stdout.String(), 5))
	}
	var rssKiB int64
	if b, err := os.ReadFile(rssFile); err != nil {
		return result{}, err
	} else if _, err := fmt.Sscanf(string(b), "maxrss_kib %d", &rssKiB); err != nil {
		return result{}, fmt.Errorf("c/rusage.c wrote %q: %v", b, err)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return result{secs: secs, cpu: tv(ru.Utime) + tv(ru.Stime), srvCPU: srvCPU, vcsw: ru.Nvcsw, ivcsw: ru.Nivcsw,
		maxRSS: rssKiB << 10, bytes: n, mibPerS: float64(n) / (1 << 20) / secs}, nil
}

// sessionsCPU returns the CPU seconds of the sessions sshd has finished so far, once the last
// client's sessions are gone (sshd.Server.SessionsCPU), or -1 when that is not known.
func (e *env) sessionsCPU() float64 {
	if !e.srv.WaitSessionsGone(10 * time.Second) {
		return -1
	}
	d, err := e.srv.SessionsCPU()
	if err != nil {
		return -1
	}
	return d.Seconds()
}

// startWatch collects a client's standard error and notes when a line matching re first arrived.
type startWatch struct {
	re  *regexp.Regexp
	mu  sync.Mutex
	buf bytes.Buffer
	at  time.Time
}

func (w *startWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	from := max(0, w.buf.Len()-200) // a match may straddle two writes
	w.buf.Write(p)
	if w.re != nil && w.at.IsZero() && w.re.Match(w.buf.Bytes()[from:]) {
		w.at = time.Now()
	}
	return len(p), nil
}

func (w *startWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func (w *startWatch) started() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.at
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

// checkCipher reads what sshd logged since the last check: the connection must have negotiated
// aes128-ctr with hmac-sha2-256 in both directions.
func (e *env) checkCipher() error {
	var log string
	for i := 0; i < 50; i++ { // sshd's per-connection process may still be writing its log
		log = e.srv.Log()
		if len(kexRE.FindAllString(log[e.logSeen:], -1)) >= 2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	ms := kexRE.FindAllStringSubmatch(log[e.logSeen:], -1)
	e.logSeen = len(log)
	if len(ms) < 2 {
		return errors.New("sshd logged no negotiated cipher and MAC for the connection")
	}
	for _, m := range ms {
		if m[2] != cipher || m[3] != mac {
			return fmt.Errorf("sshd negotiated %s cipher %s MAC %s, want %s %s", m[1], m[2], m[3], cipher, mac)
		}
	}
	return nil
}

func lastLines(s string, n int) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, " | ")
}

// genFile writes n pseudo-random bytes to path and returns their SHA-256.
func genFile(path string, n int64, seed byte) (string, error) {
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	rng := rand.NewChaCha8([32]byte{seed})
	h := sha256.New()
	w := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<20)
	buf := make([]byte, 1<<20)
	for left := n; left > 0; {
		k := int64(len(buf))
		if k > left {
			k = left
		}
		rng.Read(buf[:k])
		if _, err := w.Write(buf[:k]); err != nil {
			return "", err
		}
		left -= k
	}
	if err := w.Flush(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), f.Close()
}

// memModes are the binding's modes -memcheck measures, by client name.
var memModes = []string{"binding io.Copy", "binding 32KiB Write", "binding Upload", "binding io.Copy get", "binding Download", treeBase}

// memCheck moves *memSize bytes through every mode of the binding (those of -only, if it names
// any) and reports each one's peak RSS; it returns the number of transfers that failed.
func (e *env) memCheck() int {
	modes := memModes
	if *only != "" {
		modes = slices.DeleteFunc(slices.Clone(memModes), func(m string) bool { return !slices.Contains(strings.Split(*only, ","), m) })
	}
	if len(modes) == 0 {
		return 0
	}
	fmt.Printf("\nmemcheck: generating %d MiB...\n", *memSize>>20)
	local := filepath.Join(e.work, "mem.bin")
	sum, err := genFile(local, *memSize, 2)
	if err != nil {
		fmt.Println("memcheck FAIL:", err)
		return 1
	}
	defer os.Remove(local)
	remote := e.srv.Path("mem.bin")
	defer os.Remove(remote)
	byName := map[string]client{}
	for _, c := range slices.Concat(e.clients(), e.downClients(), e.treeClients()) {
		byName[c.name] = c
	}
	failures := 0
	for _, m := range modes {
		c := byName[m]
		var res result
		var err error
		what := "uploaded"
		switch {
		case m == treeBase:
			// The same bytes as a tree of 4 MiB files, so that the Batch's sessions each have
			// their windows full.
			var t *localTree
			const fileSize = 4 << 20
			t, err = genTree(filepath.Join(e.work, "memtree"), int(*memSize/fileSize), fileSize, 4, 4)
			if err == nil {
				res, err = e.treeUpload(c, t, e.srv.Path("memtree"), 0)
				os.RemoveAll(t.dir)
				what = fmt.Sprintf("uploaded as %d files", t.files)
			}
		case strings.HasSuffix(m, " get") || m == "binding Download":
			what = "downloaded"
			if _, serr := os.Stat(remote); serr != nil {
				err = copyFile(local, remote)
			}
			if err == nil {
				res, err = e.download(c, remote, filepath.Join(e.work, "mem-down.bin"), sum, *memSize, 0)
			}
		default:
			res, err = e.upload(c, local, e.srv.Path("mem-up.bin"), sum, *memSize, 0)
		}
		if err != nil {
			failures++
			fmt.Printf("memcheck FAIL %s: %v\n", m, err)
			continue
		}
		verdict := "MET"
		if res.maxRSS >= 64<<20 {
			verdict = "MISSED"
		}
		fmt.Printf("  %-6s %s: %d MiB %s at %.1f MiB/s, checksum ok: peak RSS %.1f MiB (target < 64 MiB)\n",
			verdict, m, *memSize>>20, what, res.mibPerS, float64(res.maxRSS)/(1<<20))
	}
	return failures
}

// stats summarizes one client's transfers (medians over the rounds).
type stats struct {
	name              string
	median, lo, hi    float64 // MiB/s
	spreadPct         float64 // (max-min)/median
	secs              float64 // seconds per transfer
	loSecs, hiSecs    float64
	cpu, cpuPerGiB    float64 // seconds per transfer, per GiB
	srvCPUPerGiB      float64 // sshd's sessions' CPU seconds per GiB; -1: not known
	vcsw, ivcsw       float64 // context switches per transfer
	vcswGiB, ivcswGiB float64 // per GiB
	maxRSS            int64
	bytes             int64
	isC, bestC        bool
	single            bool
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func summarize(c client, rs []result) stats {
	st := stats{name: c.name, isC: c.window > 0, single: c.single}
	var speeds, secs, cpus, srvCPUs, vcs, ivcs []float64
	st.lo, st.loSecs = 1e18, 1e18
	for _, r := range rs {
		speeds = append(speeds, r.mibPerS)
		secs = append(secs, r.secs)
		cpus = append(cpus, r.cpu)
		if r.srvCPU >= 0 {
			srvCPUs = append(srvCPUs, r.srvCPU)
		}
		vcs = append(vcs, float64(r.vcsw))
		ivcs = append(ivcs, float64(r.ivcsw))
		st.lo, st.hi = min(st.lo, r.mibPerS), max(st.hi, r.mibPerS)
		st.loSecs, st.hiSecs = min(st.loSecs, r.secs), max(st.hiSecs, r.secs)
		st.maxRSS = max(st.maxRSS, r.maxRSS)
		st.bytes = r.bytes
	}
	gib := float64(st.bytes) / (1 << 30)
	st.median, st.secs = median(speeds), median(secs)
	st.cpu, st.vcsw, st.ivcsw = median(cpus), median(vcs), median(ivcs)
	st.cpuPerGiB, st.vcswGiB, st.ivcswGiB = st.cpu/gib, st.vcsw/gib, st.ivcsw/gib
	st.srvCPUPerGiB = -1
	if len(srvCPUs) == len(rs) && len(rs) > 0 { // known in every round
		st.srvCPUPerGiB = median(srvCPUs) / gib
	}
	if st.median > 0 {
		st.spreadPct = (st.hi - st.lo) / st.median * 100
	}
	return st
}

// summarizeAll summarizes the clients that have results, in their order, and marks the fastest C
// variant.
func summarizeAll(clients []client, results map[string][]result) []stats {
	var all []stats
	for _, c := range clients {
		if len(results[c.name]) > 0 {
			all = append(all, summarize(c, results[c.name]))
		}
	}
	if best := bestOf(all, func(s *stats) bool { return s.isC }); best != nil {
		best.bestC = true
	}
	return all
}

// find returns the stats of the client named name, or nil.
func find(all []stats, name string) *stats {
	for i := range all {
		if all[i].name == name {
			return &all[i]
		}
	}
	return nil
}

// bestOf returns the fastest client that ok accepts, or nil.
func bestOf(all []stats, ok func(*stats) bool) *stats {
	var best *stats
	for i := range all {
		if ok(&all[i]) && (best == nil || all[i].median > best.median) {
			best = &all[i]
		}
	}
	return best
}

func stamp() string { return time.Now().UTC().Format("2006-01-02 15:04 UTC") }

func where(rtt float64) string {
	if rtt > 0 {
		return fmt.Sprintf("%.1f ms RTT", rtt*1000)
	}
	return "loopback"
}

// printTable prints the uploads' or downloads' table and returns its stats.
func printTable(down bool, clients []client, results map[string][]result, rtt float64) []stats {
	all := summarizeAll(clients, results)
	baseName, what := "binding io.Copy", "uploads"
	if down {
		baseName, what = "binding io.Copy get", "downloads"
	}
	base := find(all, baseName)
	limit := 0.0
	if rtt > 0 && !down {
		limit = sshdWindow / rtt / (1 << 20)
	}
	fmt.Printf("%s: %s, %d round(s), %s, %s + %s, server files in tmpfs\n", what, stamp(), *rounds, where(rtt), cipher, mac)
	hdr := "| client | MiB | median MiB/s | min | max | spread | CPU s/GiB | server CPU s/GiB | vol. cs/GiB | invol. cs/GiB | peak RSS MiB | speed / " + baseName + " | CPU / " + baseName + " |"
	sep := "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	if limit > 0 {
		hdr += " of window limit |"
		sep += "---:|"
	}
	fmt.Println(hdr)
	fmt.Println(sep)
	for _, s := range all {
		name := s.name
		if s.bestC {
			name += " (best C)"
		}
		rs, rc := "-", "-"
		if base != nil && base.median > 0 {
			rs = fmt.Sprintf("%.2fx", s.median/base.median)
			rc = fmt.Sprintf("%.2fx", s.cpuPerGiB/base.cpuPerGiB)
		}
		srv := "-"
		if s.srvCPUPerGiB >= 0 {
			srv = fmt.Sprintf("%.2f", s.srvCPUPerGiB)
		}
		line := fmt.Sprintf("| %s | %d | %.1f | %.1f | %.1f | %.0f%% | %.2f | %s | %.0f | %.0f | %.1f | %s | %s |", name, s.bytes>>20, s.median, s.lo, s.hi,
			s.spreadPct, s.cpuPerGiB, srv, s.vcswGiB, s.ivcswGiB, float64(s.maxRSS)/(1<<20), rs, rc)
		if limit > 0 {
			line += fmt.Sprintf(" %.2f |", s.median/limit)
		}
		fmt.Println(line)
	}
	if limit > 0 {
		fmt.Printf("\nwindow limit: sshd's 2 MiB channel window per %.1f ms round trip = %.1f MiB/s (one channel)\n", rtt*1000, limit)
	}
	return all
}

// machine describes what the numbers depend on besides the clients: cores, load, and the TCP
// congestion control of the clients' network namespace.
func machine(prefix []string) string {
	load, _ := os.ReadFile("/proc/loadavg")
	argv := append(append([]string{}, prefix...), "cat", "/proc/sys/net/ipv4/tcp_congestion_control")
	cc, _ := exec.Command(argv[0], argv[1:]...).Output()
	f := strings.Fields(string(load))
	if len(f) > 3 {
		f = f[:3]
	}
	return fmt.Sprintf("machine: %d CPUs, load average %s at the start, TCP congestion control %s", runtime.NumCPU(),
		strings.Join(f, " "), strings.TrimSpace(string(cc)))
}

// capacity measures, with -latency, what raw TCP gets through the delay line in the row's
// direction with 1 and with -sshparts connections, and returns it as a line for the report.
func (e *env) capacity(up bool) string {
	if e.srvPrefix == nil {
		return ""
	}
	from, to, toHost, dir := e.prefix, e.srvPrefix, e.srvHost, "client->server"
	if !up {
		from, to, toHost, dir = e.srvPrefix, e.prefix, e.cliHost, "server->client"
	}
	var parts []string
	for _, n := range []int{1, *sshParts} {
		r, err := linkCapacity(from, to, toHost, n)
		if err != nil {
			return fmt.Sprintf("link capacity: %v\n", err)
		}
		parts = append(parts, fmt.Sprintf("%d connection(s) %.1f MiB/s", n, r))
	}
	return fmt.Sprintf("link capacity (raw TCP %s through the delay line, %d MiB, measured before the row): %s\n",
		dir, capacityBytes>>20, strings.Join(parts, ", "))
}
