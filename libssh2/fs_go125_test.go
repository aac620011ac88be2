//go:build go1.25

package libssh2_test

// From Go 1.25 on, fstest.TestFS knows symbolic links (fs.ReadLinkFS) and does not read a link to a
// directory as a file, so the tree gets one. Go 1.24's TestFS reads every non-directory entry as a
// file, which a link to a directory is not, with os.DirFS as with this package.
func init() { fsTree.links["link-to-dir"] = "a/b" }
