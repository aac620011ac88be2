module github.com/seed191f4051/go-libssh2/bench

go 1.26.0

replace github.com/seed191f4051/go-libssh2 => ../

require (
	github.com/pkg/sftp v1.13.12
	github.com/seed191f4051/go-libssh2 v0.0.0-00010101000000-000000000000
	golang.org/x/crypto v0.59.0
)

require (
	github.com/kr/fs v0.1.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
)
