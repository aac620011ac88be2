package main

import (
	"errors"
	"io/fs"
	"path"
	"strings"
)

// remoteIsDir reports whether name is a directory on the server (false when it does not exist).
func (c *client) remoteIsDir(name string) (bool, error) {
	if name == "." || name == "/" {
		return true, nil
	}
	fi, err := c.sf.Stat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return fi.IsDir(), nil
}

// mkdirAll creates the remote directory name and its parents as needed.
func (c *client) mkdirAll(name string, perm fs.FileMode) error {
	return c.sf.MkdirAll(strings.TrimSuffix(path.Clean(name), "/"), perm|0o700)
}
