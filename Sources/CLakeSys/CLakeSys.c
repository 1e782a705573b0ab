#define _GNU_SOURCE
#include "CLakeSys.h"
#include <unistd.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/ioctl.h>
#ifdef __linux__
#include <linux/fs.h>
#endif

int lake_syncfs(int fd) {
#ifdef __linux__
    return syncfs(fd);
#else
    (void)fd;
    sync();
    return 0;
#endif
}

int lake_start_writeback(int fd, int64_t offset, int64_t length) {
#ifdef __linux__
    return sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd; (void)offset; (void)length;
    return 0;
#endif
}

int lake_spawn(const char *const argv[], const char *const envp[], const char *cwd, int out_fd, int err_fd, pid_t *pid) {
    posix_spawn_file_actions_t actions;
    int rc = posix_spawn_file_actions_init(&actions);
    if (rc != 0) return rc;
    if ((rc = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)) == 0 &&
        (rc = posix_spawn_file_actions_adddup2(&actions, out_fd, 1)) == 0 &&
        (rc = posix_spawn_file_actions_adddup2(&actions, err_fd, 2)) == 0 &&
        (rc = posix_spawn_file_actions_addchdir_np(&actions, cwd)) == 0) {
        rc = posix_spawnp(pid, argv[0], &actions, NULL, (char *const *)argv, (char *const *)envp);
    }
    posix_spawn_file_actions_destroy(&actions);
    return rc;
}

int lake_open_directory_path(const char *path) {
    return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

int lake_reflink(int src, int dst) {
#ifdef FICLONE
    return ioctl(dst, FICLONE, src);
#else
    (void)src; (void)dst;
    return -1;
#endif
}
