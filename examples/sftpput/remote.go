package main

import (
	"errors"
	"io/fs"
	"path"
	"strings"
)

// TODO(merge): SFTP.Stat and SFTP.MkdirAll come with the metadata helper; call them directly once
// merged.
type statter interface {
	Stat(name string) (fs.FileInfo, error)
}
type mkdirAller interface {
	MkdirAll(name string, perm fs.FileMode) error
}

// remoteIsDir reports whether name is a directory on the server (false when it does not exist).
func (c *client) remoteIsDir(name string) (bool, error) {
	if name == "." || name == "/" || name == "~" {
		return true, nil
	}
	st, ok := any(c.sf).(statter)
	if !ok {
		return false, nil // without Stat, REMOTE names the file unless it ends with a slash
	}
	fi, err := st.Stat(name)
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
	m, ok := any(c.sf).(mkdirAller)
	if !ok {
		return errors.New("creating remote directories needs SFTP.MkdirAll, which this build of libssh2 lacks")
	}
	return m.MkdirAll(strings.TrimSuffix(path.Clean(name), "/"), perm|0o700)
}
