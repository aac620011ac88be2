// Command bench compares uploads to one throw-away OpenSSH sshd (internal/sshd, files in tmpfs) by
// several SFTP clients, each run as its own subprocess so that its CPU time and peak RSS are its own:
// this binding through io.Copy and through 32 KiB Writes, a C program using libssh2 directly with a
// sliding window (several window sizes), OpenSSH's sftp, and pkg/sftp with and without concurrent
// writes. All use aes128-ctr and hmac-sha2-256, which it checks in sshd's log. Rounds are interleaved;
// every upload is checked by SHA-256. Run it from the bench module's directory (make bench).
//
// With -latency the server runs in one network namespace and the clients in another, joined by the
// netdelay delay line (about 50 ms round trip). With -memcheck it uploads 1 GiB through the binding's
// io.Copy and reports the process's peak RSS.
//
// It exits non-zero when an upload fails or its checksum is wrong; a missed speed target is only
// reported.
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
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
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
	size       = flag.Int64("size", 256<<20, "bytes per upload")
	rounds     = flag.Int("rounds", 5, "interleaved rounds")
	windowsArg = flag.String("windows", "240000,480000,960000,1920000,3840000", "window sizes in bytes for the C sliding-window client")
	latency    = flag.Bool("latency", false, "run the server behind a ~50 ms round-trip delay line (netdelay; needs root)")
	netdelay   = flag.String("netdelay", "../../shared/tools/netdelay/link", "the netdelay link script (-latency; make passes ../shared/tools/netdelay/link of the project root)")
	delay      = flag.String("delay", "25ms", "one-way delay for -latency")
	slowSize   = flag.Int64("slowsize", 16<<20, "with -latency: bytes for the client that waits for each packet's acknowledgement")
	memcheck   = flag.Bool("memcheck", false, "also upload 1 GiB through the binding's io.Copy and report its peak RSS")
	memSize    = flag.Int64("memsize", 1<<30, "bytes for -memcheck")
	only       = flag.String("only", "", "comma-separated client names to run (default all)")
	binWindow  = flag.Int("binwindow", 0, "write window for the binding's clients (0: the library's default)")
	cpuProfile = flag.String("cpuprofile", "", "write a CPU profile of the binding's io.Copy upload in round 1 to this file")
	keep       = flag.Bool("v", false, "print each upload as it finishes")
	binWindows = flag.String("binwindows", "", "extra binding io.Copy clients with these write windows (comma-separated bytes), for tuning")
	before     = flag.String("before", "", "also run the binding's io.Copy built from this git revision of the project (before/after in one run)")
	wrap       = flag.String("wrap", "", "a command prefix for every client, for diagnosis (such as \"perf stat --\"); it skews CPU and RSS")
	rows       = flag.String("rows", "up,down,tree", "what to measure: up (uploads), down (downloads), tree (1000 small files), comma-separated")
	readBufs   = flag.String("readbufs", "120000,480000,960000,1920000", "buffer sizes in bytes for the C libssh2_sftp_read client (it reads ahead 4x)")
	rttAddr    = flag.String("rttprobe", "", "internal: print the round-trip time to this host:port and exit")
)

func main() {
	flag.Parse()
	if *rttAddr != "" {
		if err := rttProbe(*rttAddr); err != nil {
			fmt.Fprintln(os.Stderr, "bench -rttprobe:", err)
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
	// slow: it waits for each packet's acknowledgement, so at high latency it gets a smaller file.
	slow bool
	// window is the C client's window size, 0 for the others.
	window int
}

// result is one upload.
type result struct {
	secs    float64 // from opening the remote file to closing it
	cpu     float64 // user+sys of the whole client process (and its children), seconds
	maxRSS  int64   // bytes
	bytes   int64
	mibPerS float64
	// vcsw and ivcsw are the process's voluntary and involuntary context switches (getrusage; a
	// shell-driven peer's count its shell's and its children's).
	vcsw, ivcsw int64
}

type env struct {
	srv     *sshd.Server
	work    string // tmpfs directory for the files and binaries
	bin     string
	prefix  []string // runs a client command in the client namespace
	logSeen int
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

	opts := sshd.Options{LogLevel: "DEBUG1"}
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
	filter := func(cs []client) []client {
		if *only == "" {
			return cs
		}
		want := strings.Split(*only, ",")
		return slices.DeleteFunc(cs, func(c client) bool {
			return !slices.Contains(want, c.name) && !(c.window > 0 && slices.Contains(want, "c"))
		})
	}
	if slices.Contains(strings.Split(*rows, ","), "up") {
		clients := filter(e.clients())
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
		printTable(false, clients, results, rtt)
	}
	if slices.Contains(strings.Split(*rows, ","), "down") {
		// The server's copy of the same file, in its tmpfs.
		remote := srv.Path("download.bin")
		if err := copyFile(local, remote); err != nil {
			return 0, err
		}
		clients := filter(e.downClients())
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
		printTable(true, clients, results, rtt)
	}
	if slices.Contains(strings.Split(*rows, ","), "tree") {
		n, err := e.treeRows(rtt)
		if err != nil {
			return 0, err
		}
		failures += n
	}
	if *memcheck {
		if err := e.memCheck(); err != nil {
			failures++
			fmt.Println("memcheck FAIL:", err)
		}
	}
	if failures > 0 {
		fmt.Printf("\n%d transfer(s) failed or were wrong\n", failures)
		return 1, nil
	}
	return 0, nil
}

// record keeps a transfer's result, or reports its failure; it returns the number of failures.
func (e *env) record(c client, res result, err error, results map[string][]result) int {
	if err != nil {
		fmt.Printf("  FAIL %-28s %v\n", c.name, err)
		return 1
	}
	results[c.name] = append(results[c.name], res)
	if *keep {
		fmt.Printf("  %-28s %8.1f MiB/s  cpu %.2fs  rss %d MiB\n", c.name, res.mibPerS, res.cpu, res.maxRSS>>20)
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
	for _, p := range []string{"binding", "pkgsftp"} {
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
		files, _ := filepath.Glob("cmd/binding/*.go")
		for _, f := range append([]string{"go.mod", "go.sum"}, files...) {
			b, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(src, "bench", f), b, 0o644); err != nil {
				return err
			}
		}
		cmd = exec.Command("go", "build", "-mod=mod", "-o", filepath.Join(e.bin, "binding-before"), "./cmd/binding")
		cmd.Dir = filepath.Join(src, "bench")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("building the binding at %s: %v\n%s", *before, err, out)
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
	return nil
}

// downClients lists the downloaders, in the order of every round.
func (e *env) downClients() []client {
	srv := e.srv
	goArgs := func(prog string) func(string, string, int) []string {
		return func(local, remote string, round int) []string {
			return []string{filepath.Join(e.bin, prog), "-addr", srv.Addr, "-user", srv.User, "-key", srv.KeyPath,
				"-knownhosts", srv.KnownHostsPath, "-local", local, "-remote", remote, "-mode", "get"}
		}
	}
	cs := []client{{name: "binding io.Copy get", argv: goArgs("binding")}, e.bindingParallel("download")}
	if *before != "" {
		cs = append(cs, client{name: "binding io.Copy get @" + *before, argv: func(local, remote string, round int) []string {
			a := goArgs("binding")(local, remote, round)
			a[0] = filepath.Join(e.bin, "binding-before")
			return a
		}})
	}
	for _, w := range parseInts(*readBufs) {
		cs = append(cs, client{name: fmt.Sprintf("C libssh2 get buf=%d", w), window: w, argv: func(local, remote string, _ int) []string {
			return []string{filepath.Join(e.bin, "libssh2_client"), "-host", srv.Host, "-port", strconv.Itoa(srv.Port),
				"-user", srv.User, "-key", srv.KeyPath, "-knownhosts", srv.KnownHostsPath,
				"-local", local, "-remote", remote, "-mode", "get", "-window", strconv.Itoa(w)}
		}})
	}
	return append(append(cs,
		client{name: "OpenSSH sftp get", argv: func(local, remote string, _ int) []string {
			return e.sftpArgs(fmt.Sprintf("get %s %s", remote, local))
		}},
		client{name: "pkg/sftp get", argv: goArgs("pkgsftp")},
	), e.peerDownloads()...)
}

// sftpArgs is the OpenSSH sftp command for a batch with one transfer command. The two timestamps
// bracket it (open, transfer, close), as the other clients time it.
func (e *env) sftpArgs(command string) []string {
	srv := e.srv
	batch := filepath.Join(e.work, "batch")
	os.WriteFile(batch, []byte("!date +%s.%N\n"+command+"\n!date +%s.%N\n"), 0o644)
	return []string{"sftp", "-b", batch, "-F", "/dev/null", "-i", srv.KeyPath,
		"-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
		"-o", "UserKnownHostsFile=" + srv.KnownHostsPath, "-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "StrictHostKeyChecking=yes", "-o", "Ciphers=" + cipher, "-o", "MACs=" + mac,
		"-P", strconv.Itoa(srv.Port), srv.User + "@" + srv.Host}
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
		e.bindingParallel("upload"),
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
		cs = append(cs, client{name: fmt.Sprintf("C libssh2 w=%d", w), window: w, argv: func(local, remote string, _ int) []string {
			return []string{filepath.Join(e.bin, "libssh2_client"), "-host", srv.Host, "-port", strconv.Itoa(srv.Port),
				"-user", srv.User, "-key", srv.KeyPath, "-knownhosts", srv.KnownHostsPath,
				"-local", local, "-remote", remote, "-mode", "put", "-window", strconv.Itoa(w)}
		}})
	}
	cs = append(cs,
		client{name: "OpenSSH sftp", argv: func(local, remote string, _ int) []string {
			return e.sftpArgs(fmt.Sprintf("put %s %s", local, remote))
		}},
		client{name: "pkg/sftp concurrent", argv: goArgs("pkgsftp", "concurrent")},
		client{name: "pkg/sftp 32KiB", argv: goArgs("pkgsftp", "copy32k"), slow: true},
	)
	return append(cs, e.peerUploads()...)
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
	res, err := e.runClient(c.argv(local, remote, round), n)
	if err != nil {
		return result{}, err
	}
	got, err := e.srv.SHA256(check)
	if err != nil {
		return result{}, err
	}
	os.Remove(check)
	if got != want {
		return result{}, fmt.Errorf("checksum of the transferred file is %s, want %s", got, want)
	}
	return res, nil
}

// runClient runs one client command (in the client namespace) that moves n bytes, checks the cipher
// sshd negotiated, and returns its time (its own, or between the two timestamps it printed), CPU,
// peak RSS and context switches.
func (e *env) runClient(args []string, n int64) (result, error) {
	argv := append(append(append([]string{}, e.prefix...), strings.Fields(*wrap)...), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start).Seconds()
	if err != nil {
		return result{}, fmt.Errorf("%v: %s", err, lastLines(stderr.String()+stdout.String(), 5))
	}
	if err := e.checkCipher(); err != nil {
		return result{}, err
	}
	secs := 0.0
	if m := transferRE.FindStringSubmatch(stdout.String()); m != nil {
		secs, _ = strconv.ParseFloat(m[1], 64)
	} else if ms := stampRE.FindAllStringSubmatch(stdout.String(), -1); len(ms) == 2 {
		a, _ := strconv.ParseFloat(ms[0][1], 64)
		b, _ := strconv.ParseFloat(ms[1][1], 64)
		secs = b - a
	}
	if secs <= 0 || secs > wall {
		return result{}, fmt.Errorf("no transfer time in the client's output: %s", lastLines(stdout.String(), 5))
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := tv(ru.Utime) + tv(ru.Stime)
	return result{secs: secs, cpu: cpu, maxRSS: ru.Maxrss << 10, bytes: n, mibPerS: float64(n) / (1 << 20) / secs,
		vcsw: ru.Nvcsw, ivcsw: ru.Nivcsw}, nil
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

// memCheck moves *memSize bytes through each of the binding's modes (io.Copy up and down, Upload,
// Download) and reports each one's peak RSS against 64 MiB.
func (e *env) memCheck() error {
	fmt.Printf("\nmemcheck: generating %d MiB...\n", *memSize>>20)
	local := filepath.Join(e.work, "mem.bin")
	sum, err := genFile(local, *memSize, 2)
	if err != nil {
		return err
	}
	defer os.Remove(local)
	remote := e.srv.Path("mem.bin")
	defer os.Remove(remote)
	var failed error
	report := func(c client, res result, err error) {
		if err != nil {
			failed = errors.Join(failed, fmt.Errorf("%s: %w", c.name, err))
			return
		}
		v := "UNDER"
		if res.maxRSS >= 64<<20 {
			v = "NOT under"
		}
		fmt.Printf("memcheck: %s moved %d MiB at %.1f MiB/s, checksum ok; peak RSS %.1f MiB: %s 64 MiB\n",
			c.name, *memSize>>20, res.mibPerS, float64(res.maxRSS)/(1<<20), v)
	}
	for _, c := range []client{e.clients()[0], e.bindingParallel("upload")} {
		res, err := e.upload(c, local, remote, sum, *memSize, 0)
		report(c, res, err)
	}
	if err := copyFile(local, remote); err != nil {
		return err
	}
	back := filepath.Join(e.work, "mem-back.bin")
	defer os.Remove(back)
	for _, c := range []client{e.downClients()[0], e.bindingParallel("download")} {
		res, err := e.download(c, remote, back, sum, *memSize, 0)
		report(c, res, err)
	}
	return failed
}

// stats summarizes one client's uploads.
type stats struct {
	name           string
	median, lo, hi float64 // MiB/s
	spreadPct      float64 // (max-min)/median
	cpuPerGiB      float64 // median
	cswPerGiB      float64 // median context switches (voluntary + involuntary) per GiB
	maxRSS         int64
	bytes          int64
	isC, bestC     bool
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
	st := stats{name: c.name, isC: c.window > 0}
	var speeds, cpus, csws []float64
	st.lo = 1e18
	for _, r := range rs {
		speeds = append(speeds, r.mibPerS)
		cpus = append(cpus, r.cpu/(float64(r.bytes)/(1<<30)))
		csws = append(csws, float64(r.vcsw+r.ivcsw)/(float64(r.bytes)/(1<<30)))
		st.lo = min(st.lo, r.mibPerS)
		st.hi = max(st.hi, r.mibPerS)
		st.maxRSS = max(st.maxRSS, r.maxRSS)
		st.bytes = r.bytes
	}
	st.median = median(speeds)
	st.cpuPerGiB = median(cpus)
	st.cswPerGiB = median(csws)
	if st.median > 0 {
		st.spreadPct = (st.hi - st.lo) / st.median * 100
	}
	return st
}

func printTable(down bool, clients []client, results map[string][]result, rtt float64) {
	var all []stats
	for _, c := range clients {
		if len(results[c.name]) == 0 {
			continue
		}
		all = append(all, summarize(c, results[c.name]))
	}
	find := func(name string) *stats {
		for i := range all {
			if all[i].name == name {
				return &all[i]
			}
		}
		return nil
	}
	var bestC *stats
	for i := range all {
		if all[i].isC && (bestC == nil || all[i].median > bestC.median) {
			bestC = &all[i]
		}
	}
	if bestC != nil {
		bestC.bestC = true
	}
	baseName, what := "binding io.Copy", "uploads"
	if down {
		baseName, what = "binding io.Copy get", "downloads"
	}
	base := find(baseName)
	limit := 0.0
	if rtt > 0 {
		limit = sshdWindow / rtt / (1 << 20)
	}
	where := "loopback"
	if rtt > 0 {
		where = fmt.Sprintf("%.1f ms RTT", rtt*1000)
	}
	fmt.Printf("%s: %s, %d round(s), %s, %s + %s, server files in tmpfs\n", what, time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		*rounds, where, cipher, mac)
	hdr := "| client | MiB | median MiB/s | min | max | spread | CPU s/GiB | ctx switches/GiB | peak RSS MiB | speed / " + baseName + " | CPU / " + baseName + " |"
	sep := "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	if limit > 0 && !down {
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
		line := fmt.Sprintf("| %s | %d | %.1f | %.1f | %.1f | %.0f%% | %.2f | %.0f | %.1f | %s | %s |", name, s.bytes>>20, s.median, s.lo, s.hi,
			s.spreadPct, s.cpuPerGiB, s.cswPerGiB, float64(s.maxRSS)/(1<<20), rs, rc)
		if limit > 0 && !down {
			line += fmt.Sprintf(" %.2f |", s.median/limit)
		}
		fmt.Println(line)
	}
	if limit > 0 && !down {
		fmt.Printf("\nwindow limit: sshd's 2 MiB channel window per %.1f ms round trip = %.1f MiB/s\n", rtt*1000, limit)
	}
	if base == nil {
		return
	}
	fmt.Println("\ntargets:")
	check := func(what string, got, want float64) {
		v := "MET"
		if got < want {
			v = "MISSED"
		}
		fmt.Printf("  %-6s %s: %.2f (target >= %.2f)\n", v, what, got, want)
	}
	var bestOther *stats
	for i := range all {
		if !strings.HasPrefix(all[i].name, "binding") && !all[i].isC && !isPeer(all[i].name) && (bestOther == nil || all[i].median > bestOther.median) {
			bestOther = &all[i]
		}
	}
	defer issue12Targets(down, rtt, find, bestC, bestOther)
	switch {
	case down:
		// Issue 4: at least 0.95x the C reader, and ahead of the others.
		if bestC != nil {
			check(baseName+" / best C ("+bestC.name+")", base.median/bestC.median, 0.95)
		}
		if bestOther != nil {
			check(baseName+" / best of OpenSSH and pkg/sftp ("+bestOther.name+")", base.median/bestOther.median, 1.0)
		}
	case rtt == 0:
		// Issue 3, loopback.
		if bestC != nil {
			check(baseName+" / best C ("+bestC.name+")", base.median/bestC.median, 0.95)
		}
		if s := find("OpenSSH sftp"); s != nil {
			check(baseName+" / OpenSSH sftp", base.median/s.median, 1.8)
		}
		var bestPkg *stats
		for _, n := range []string{"pkg/sftp concurrent", "pkg/sftp 32KiB"} {
			if s := find(n); s != nil && (bestPkg == nil || s.median > bestPkg.median) {
				bestPkg = s
			}
		}
		if bestPkg != nil {
			check(baseName+" / best pkg/sftp ("+bestPkg.name+")", base.median/bestPkg.median, 1.8)
		}
		if w := find("binding 32KiB Write"); w != nil {
			check("binding 32KiB Write / "+baseName, w.median/base.median, 0.9)
		}
	default:
		// Issue 3, 50 ms round trip: ahead of every other client, C included.
		best := bestOther
		if bestC != nil && (best == nil || bestC.median > best.median) {
			best = bestC
		}
		if best != nil {
			check(baseName+" / best other client ("+best.name+")", base.median/best.median, 1.0)
		}
		check(baseName+" / window limit", base.median/limit, 0.75)
	}
	if bestC != nil {
		// Within 10% of C: the binding's CPU per GiB at most 1.10x the best C client's.
		r := base.cpuPerGiB / bestC.cpuPerGiB
		v := "MET"
		if r > 1.10 {
			v = "MISSED"
		}
		fmt.Printf("  %-6s %s CPU s/GiB / best C's: %.2f (target <= 1.10)\n", v, baseName, r)
	}
}

// linkUp brings up the netdelay link and returns its variables and a function that tears it down.
func linkUp(script, delay string) (map[string]string, func(), error) {
	if _, err := os.Stat(script); err != nil {
		return nil, nil, fmt.Errorf("the netdelay tool is missing (%s): -latency needs ../shared/tools/netdelay next to the project", script)
	}
	if os.Geteuid() != 0 {
		return nil, nil, errors.New("-latency needs root (network namespaces)")
	}
	name := fmt.Sprintf("gb%d", os.Getpid()%100000)
	out, err := exec.Command(script, "up", name, delay).Output()
	down := func() { exec.Command(script, "down", name).Run() }
	if err != nil {
		down()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, nil, fmt.Errorf("netdelay link up: %v: %s", err, ee.Stderr)
		}
		return nil, nil, fmt.Errorf("netdelay link up: %v", err)
	}
	vars := map[string]string{}
	for _, f := range strings.Fields(string(out)) {
		if k, v, ok := strings.Cut(f, "="); ok {
			vars[k] = v
		}
	}
	for _, k := range []string{"LINK_CLI_NS", "LINK_SRV_NS", "LINK_SRV_ADDR"} {
		if vars[k] == "" {
			down()
			return nil, nil, fmt.Errorf("netdelay link up printed no %s: %q", k, out)
		}
	}
	return vars, down, nil
}

// probeRTT measures the round-trip time from the client namespace to addr: this program, run there
// with -rttprobe, times TCP connects (one round trip each: SYN, SYN-ACK).
func probeRTT(prefix []string, addr string) (float64, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	argv := append(append([]string{}, prefix...), self, "-rttprobe", addr)
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("measuring the round trip to %s: %v: %s", addr, err, out)
	}
	return strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
}

// rttProbe prints the median time of 7 TCP connects to addr, in seconds.
func rttProbe(addr string) error {
	var ts []float64
	for i := 0; i < 7; i++ {
		start := time.Now()
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return err
		}
		ts = append(ts, time.Since(start).Seconds())
		c.Close()
	}
	fmt.Printf("%.6f\n", median(ts))
	return nil
}

// isPeer reports whether a client is one of the parallel peers (or lftp), which the single-stream
// targets leave out.
func isPeer(name string) bool {
	return strings.Contains(name, "ssh cat") || strings.HasPrefix(name, "lftp")
}

// issue12Targets prints the targets of the parallel API: more streams where the round trip limits
// one, and no loss where it does not.
func issue12Targets(down bool, rtt float64, find func(string) *stats, bestC, bestOther *stats) {
	par, single := find("binding Upload"), find("binding io.Copy")
	if down {
		par, single = find("binding Download"), find("binding io.Copy get")
	}
	if par == nil {
		return
	}
	fmt.Println("\ntargets (issue 12):")
	ratio := func(what string, other *stats, want float64) {
		if other != nil && other.median > 0 {
			verdict(fmt.Sprintf("%s / %s", par.name, what+" ("+other.name+")"), par.median/other.median, want)
		}
	}
	if rtt == 0 {
		ratio("the single-stream File", single, 0.95)
		return
	}
	best := bestOther
	if bestC != nil && (best == nil || bestC.median > best.median) {
		best = bestC
	}
	ratio("best single-stream client", best, 2.0)
	peer := fmt.Sprintf("%d x ssh cat", parallelPeers)
	if down {
		peer += " get"
		ratio("lftp pget", find(fmt.Sprintf("lftp pget -n %d", parallelPeers)), 1.0)
	}
	ratio("parallel ssh sessions", find(peer), 0.9)
}
