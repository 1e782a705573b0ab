#define _GNU_SOURCE
#include "CLakeSys.h"
#include <unistd.h>
#include <fcntl.h>
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

int lake_reflink(int src, int dst) {
#ifdef FICLONE
    return ioctl(dst, FICLONE, src);
#else
    (void)src; (void)dst;
    return -1;
#endif
}
