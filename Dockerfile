FROM golang:1.24-bookworm
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libssh2-1-dev pkg-config openssh-server openssh-sftp-server openssh-client \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /run/sshd
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build ./...
CMD ["sh", "-c", "go vet ./... && go test -race -count=1 ./..."]
