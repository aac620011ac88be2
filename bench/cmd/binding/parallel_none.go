//go:build nobatch

package main

// Built with -tags nobatch (bench -before REV) against a library older than SFTP.Upload,
// SFTP.Download and Batch: those modes do not exist.

import "github.com/seed191f4051/go-libssh2/libssh2"

var parallelModes = map[string]func(){}

func runParallel(sf *libssh2.SFTP, mode, local, remote string) (float64, error) {
	panic("unreachable: no parallel modes")
}

// treeLanes and treeGo are the -lanes and -go flags, of no use without the tree mode.
var (
	treeLanes int
	treeGo    bool
)
