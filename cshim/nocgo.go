//go:build !cgo

package cshim

// This file is compiled only when cgo is off: CGO_ENABLED=0, or no C compiler on PATH (the go
// command then turns cgo off by itself). Without it the build would say only "build constraints
// exclude all Go files in .../cshim". The undefined name below makes the compiler print what is
// missing instead: cgo, a C compiler (gcc or clang), pkg-config and libssh2's headers
// (libssh2-1-dev on Debian). See the README's "Prerequisites".
var _ = go_libssh2_needs_cgo__set_CGO_ENABLED_1_and_install_a_C_compiler__see_README_Prerequisites
