/* C helpers for the metadata and directory calls. Each one says why it exists. */
#ifndef GO_LIBSSH2_SFTP_ATTRS_H
#define GO_LIBSSH2_SFTP_ATTRS_H
#include <libssh2.h>
#include <libssh2_sftp.h>

/* libssh2_sftp_posix_rename_ex came with libssh2 1.11.0; 1.10's header lacks it, so the call is
   compiled only where the header has it and shim_have_posix_rename says which way it went. */
#if LIBSSH2_VERSION_NUM >= 0x010b00
#define SHIM_HAVE_POSIX_RENAME 1
#else
#define SHIM_HAVE_POSIX_RENAME 0
#endif

int shim_sftp_posix_rename(LIBSSH2_SFTP *sftp, const char *src, unsigned int src_len, const char *dst,
                           unsigned int dst_len);
#endif
