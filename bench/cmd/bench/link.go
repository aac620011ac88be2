package main

// The -latency link: netdelay's two network namespaces, the round trip between them, and what raw
// TCP gets through the delay line (a user-space program on the same cores as everything else, so
// its capacity is a ceiling for every client and varies with the machine's load).

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

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
	for _, k := range []string{"LINK_CLI_NS", "LINK_SRV_NS", "LINK_CLI_ADDR", "LINK_SRV_ADDR"} {
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

// capacityBytes is what each capacity measurement sends.
const capacityBytes = 64 << 20

// linkCapacity measures raw TCP across the link in one direction: this program runs as a sink
// (-tcpsink) in the receiving namespace and as the sender (-tcpsend) in the other, with conns
// connections splitting capacityBytes. It returns MiB/s.
func linkCapacity(from, to []string, toAddr string, conns int) (float64, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	addr := net.JoinHostPort(toAddr, "5599")
	sinkArgv := append(append([]string{}, to...), self, "-tcpsink", addr)
	sink := exec.Command(sinkArgv[0], sinkArgv[1:]...)
	out, err := sink.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := sink.Start(); err != nil {
		return 0, err
	}
	defer func() { sink.Process.Kill(); sink.Wait() }()
	ready := make([]byte, 6)
	if _, err := io.ReadFull(out, ready); err != nil || string(ready) != "ready\n" {
		return 0, fmt.Errorf("the TCP sink did not start: %q %v", ready, err)
	}
	sendArgv := append(append([]string{}, from...), self, "-tcpsend", addr, "-conns", strconv.Itoa(conns))
	b, err := exec.Command(sendArgv[0], sendArgv[1:]...).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("measuring the link: %v: %s", err, b)
	}
	return strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
}

// tcpSink accepts connections on addr and discards what they send; each connection is answered
// with one byte once its sender has shut down its side, so the sender times the bytes' arrival.
func tcpSink(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Println("ready")
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			io.Copy(io.Discard, c)
			c.Write([]byte{1})
		}()
	}
}

// tcpSend sends capacityBytes to addr over conns connections at once and prints MiB/s.
func tcpSend(addr string, conns int) error {
	var wg sync.WaitGroup
	errs := make([]error, conns)
	buf := make([]byte, 256<<10)
	start := time.Now()
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				errs[i] = err
				return
			}
			defer c.Close()
			for left := capacityBytes / conns; left > 0; left -= len(buf) {
				if _, err := c.Write(buf[:min(left, len(buf))]); err != nil {
					errs[i] = err
					return
				}
			}
			c.(*net.TCPConn).CloseWrite()
			_, errs[i] = c.Read(make([]byte, 1))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	fmt.Printf("%.1f\n", float64(capacityBytes)/(1<<20)/time.Since(start).Seconds())
	return nil
}
