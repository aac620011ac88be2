# DEBIAN_RELEASE picks the libssh2 under test: bookworm's libssh2-1-dev is 1.10.0, trixie's 1.11.1.
ARG GO_VERSION=1.26
ARG DEBIAN_RELEASE=bookworm
FROM golang:${GO_VERSION}-${DEBIAN_RELEASE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libssh2-1-dev pkg-config openssh-server openssh-sftp-server openssh-client \
      dropbear-bin proftpd-core proftpd-mod-crypto \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /run/sshd \
 && echo "libssh2 $(pkg-config --modversion libssh2)"
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build ./...
CMD ["sh", "-c", "echo \"libssh2 $(pkg-config --modversion libssh2) (pkg-config)\" && go vet ./... && bash scripts/gotest.sh -race -count=1 -timeout 15m ./..."]
