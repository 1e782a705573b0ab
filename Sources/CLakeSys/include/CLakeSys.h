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

#endif
