#ifndef GO_LIBSSH2_SHIM_H
#define GO_LIBSSH2_SHIM_H
#include <stdlib.h>
#include <libssh2.h>
#include <libssh2_sftp.h>
#endif
