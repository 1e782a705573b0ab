#ifndef CLAKESYS_H
#define CLAKESYS_H

#include <stdint.h>
#include <sys/types.h>

/// Flushes every dirty page of the filesystem holding `fd` (one sync per commit).
int lake_syncfs(int fd);

/// Starts writing back a file range to disk without waiting (sync_file_range WRITE), so the
/// commit's single sync at the end finds little left to do.
int lake_start_writeback(int fd, int64_t offset, int64_t length);

/// Makes `dst` share `src`'s extents (btrfs, XFS reflink). Returns -1 with errno where the
/// filesystem cannot.
int lake_reflink(int src, int dst);

/// Copies `len` bytes in the kernel (copy_file_range); returns bytes copied or -1.
ssize_t lake_copy_range(int src, int64_t src_off, int dst, int64_t dst_off, size_t len);

#endif
