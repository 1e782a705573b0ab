#ifndef CLAKESYS_H
#define CLAKESYS_H

#include <stdint.h>
#include <sys/types.h>

/// Flushes every dirty page of the filesystem holding `fd` (one sync per commit).
int lake_syncfs(int fd);

/// Makes `dst` share `src`'s extents (btrfs, XFS reflink). Returns -1 with errno where the
/// filesystem cannot.
int lake_reflink(int src, int dst);

/// Copies `len` bytes in the kernel (copy_file_range); returns bytes copied or -1.
ssize_t lake_copy_range(int src, int64_t src_off, int dst, int64_t dst_off, size_t len);

#endif
