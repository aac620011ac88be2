module github.com/seed191f4051/go-libssh2

go 1.24.0

require github.com/google/go-cmp v0.7.0
