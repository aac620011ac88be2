#include "sftp_attrs.h"

/* Without the function in the header, report LIBSSH2_ERROR_METHOD_NOT_SUPPORTED rather than fail to
   build: the Go side turns it into ErrNotSupported through SHIM_HAVE_POSIX_RENAME. */
int shim_sftp_posix_rename(LIBSSH2_SFTP *sftp, const char *src, unsigned int src_len, const char *dst,
                           unsigned int dst_len)
{
#if SHIM_HAVE_POSIX_RENAME
    return libssh2_sftp_posix_rename_ex(sftp, src, src_len, dst, dst_len);
#else
    (void)sftp; (void)src; (void)src_len; (void)dst; (void)dst_len;
    return LIBSSH2_ERROR_METHOD_NOT_SUPPORTED;
#endif
}
