module github.com/seed191f4051/go-libssh2

go 1.26.0

require (
	github.com/google/go-cmp v0.7.0
	golang.org/x/crypto v0.59.0
	golang.org/x/net v0.63.0
)

require golang.org/x/sys v0.50.0 // indirect
