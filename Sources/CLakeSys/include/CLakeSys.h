#ifndef CLAKESYS_H
#define CLAKESYS_H

#include <stdint.h>
#include <sys/types.h>
// fsetxattr and getxattr, for objects' seals: Glibc's Swift module leaves this header out.
#include <sys/xattr.h>

/// Flushes every dirty page of the filesystem holding `fd` (`ObjectStore.sync`; a commit
/// syncs only its own files unless another writer's may be involved).
int lake_syncfs(int fd);

/// Starts writing back a file range to disk without waiting (sync_file_range WRITE), so the
/// commit's single sync at the end finds little left to do.
int lake_start_writeback(int fd, int64_t offset, int64_t length);

/// Opens a directory only to name files relative to it (O_PATH: no read permission needed).
/// Returns the descriptor, or -1 with errno.
int lake_open_directory_path(const char *path);

/// Makes `dst` share `src`'s extents (btrfs, XFS reflink). Returns -1 with errno where the
/// filesystem cannot.
int lake_reflink(int src, int dst);

/// Starts `argv` (searched in PATH) in directory `cwd` with environment `envp`, standard input
/// from /dev/null and standard output and error on `out_fd` and `err_fd`. Returns 0 and sets
/// `*pid`, or an errno value.
int lake_spawn(const char *const argv[], const char *const envp[], const char *cwd, int out_fd, int err_fd, pid_t *pid);

#endif
