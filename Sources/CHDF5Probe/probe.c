// The isolated probe of ckpt_h5_probe.h: the parent side (fork under libhdf5's lock, limits,
// waiting, the findings pipe). The child's work is in rebuild.c, its heap checks in
// heap_check.c.
#define _GNU_SOURCE
#include "probe_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

// Per thread: a test counts its own probes while other tests load files on other threads.
static _Thread_local long long probe_count;

long long ckpt_h5_probe_count(void) { return probe_count; }

// ---------------------------------------------------------------- the parent

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// RLIMIT_DATA for the child: what it inherited (/proc/self/statm's data pages) plus `extra`.
static void limit_data(long long extra) {
    if (extra <= 0) return;
    int fd = open("/proc/self/statm", O_RDONLY);
    if (fd < 0) return;
    char buf[256];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return;
    buf[n] = 0;
    // size resident shared text lib data dt: the sixth field.
    char *p = buf;
    for (int field = 0; field < 5; field++) {
        while (*p && *p != ' ') p++;
        while (*p == ' ') p++;
    }
    unsigned long long pages = strtoull(p, NULL, 10);
    if (pages == 0) return;
    struct rlimit r;
    if (getrlimit(RLIMIT_DATA, &r) != 0) return;
    rlim_t want = (rlim_t)(pages * (unsigned long long)sysconf(_SC_PAGESIZE) + (unsigned long long)extra);
    if (r.rlim_max != RLIM_INFINITY && r.rlim_max < want) return;
    r.rlim_cur = want;
    setrlimit(RLIMIT_DATA, &r);
}

// Closes every descriptor the child inherited except `keep` and those open on the file being
// read: a descriptor of a file the caller has open with an HDF5 lock (flock) would otherwise
// keep that lock alive as long as the child lives, after the caller closed the file, and make
// the caller's next open of it fail with EAGAIN.
static void close_inherited(const char *path, int keep) {
    struct stat target;
    int have_target = stat(path, &target) == 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d) return;
    int dir_fd = dirfd(d);
    int fds[1024], n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 1024) {
        int fd = atoi(e->d_name);
        if (fd <= 2 || fd == keep || fd == dir_fd) continue;
        struct stat st;
        if (have_target && fstat(fd, &st) == 0 && st.st_dev == target.st_dev && st.st_ino == target.st_ino) continue;
        fds[n++] = fd;
    }
    closedir(d);
    for (int i = 0; i < n; i++) close(fds[i]);
}

static void child_setup(const ckpt_probe_limits *limits, pid_t parent) {
#ifdef __linux__
    // The child dies with its parent (a SIGKILLed or SIGTERMed caller leaves no orphan parsing on);
    // a parent that died before the request took effect is seen as a changed parent pid.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
#endif
    // Crash handlers of the host (libFuzzer, test runners, the Swift runtime's backtracer)
    // must not run here: the child dies of the signal and the parent reports it.
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS, SIGXCPU, SIGXFSZ};
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++) signal(fatal[i], SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0), dup2(null, 1), dup2(null, 2);
        if (null > 2) close(null);
    }
    struct rlimit core = {0, 0};
    setrlimit(RLIMIT_CORE, &core);
    if (limits->cpu_seconds > 0) {
        struct rlimit cpu;
        if (getrlimit(RLIMIT_CPU, &cpu) == 0 && (cpu.rlim_max == RLIM_INFINITY || cpu.rlim_max >= (rlim_t)limits->cpu_seconds)) {
            cpu.rlim_cur = (rlim_t)limits->cpu_seconds;
            setrlimit(RLIMIT_CPU, &cpu);
        }
    }
    limit_data(limits->extra_data_bytes);
    if (limits->max_copy_bytes > 0) {
        signal(SIGXFSZ, SIG_IGN);  // the write fails with EFBIG instead of killing the child
        struct rlimit fsize;
        if (getrlimit(RLIMIT_FSIZE, &fsize) == 0 &&
            (fsize.rlim_max == RLIM_INFINITY || fsize.rlim_max >= (rlim_t)limits->max_copy_bytes)) {
            fsize.rlim_cur = (rlim_t)limits->max_copy_bytes;
            setrlimit(RLIMIT_FSIZE, &fsize);
        }
    }
}

typedef struct {
    const char *path, *copy_path;
    const ckpt_probe_limits *limits;
    int findings_fd;  // the pipe's write end, for the child
    pid_t pid;
    int fork_errno;
    int forked;
} fork_request;

// Runs inside H5Piterate, i.e. with libhdf5's global lock held by this thread: no other
// thread is inside the library at the moment of the fork, so the child's copy of it is
// consistent (the library registers no fork handlers of its own).
static herr_t fork_under_lock(hid_t id, const char *name, void *data) {
    (void)id, (void)name;
    fork_request *req = data;
    if (req->forked) return 1;
    req->forked = 1;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        child_setup(req->limits, parent);
        close_inherited(req->path, req->findings_fd);
        ckpt_rebuild_child(req->path, req->copy_path, req->limits, req->findings_fd);
    }
    req->pid = pid;
    req->fork_errno = pid < 0 ? errno : 0;
    return 1;
}

// Appends what the pipe holds now to out->findings (non-blocking); 0 at end of file.
static int drain(int fd, ckpt_probe_result *out) {
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return n < 0 && errno == EAGAIN;
        char *grown = realloc(out->findings, out->findings_size + (size_t)n);
        if (!grown) return 0;
        out->findings = grown;
        memcpy(out->findings + out->findings_size, buf, (size_t)n);
        out->findings_size += (size_t)n;
    }
}

int ckpt_h5_probe(const char *path, const char *copy_path, const ckpt_probe_limits *limits, ckpt_probe_result *out) {
    memset(out, 0, sizeof *out);
    double t0 = now_seconds();
    probe_count++;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        out->status = CKPT_PROBE_UNAVAILABLE;
        out->error = errno;
        return out->status;
    }
    for (int i = 0; i < 2; i++) {  // never 0-2: the child points those at /dev/null
        if (fds[i] > 2) continue;
        int moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
        close(fds[i]);
        fds[i] = moved;
    }
    if (fds[0] < 0 || fds[1] < 0) {
        if (fds[0] >= 0) close(fds[0]);
        if (fds[1] >= 0) close(fds[1]);
        out->status = CKPT_PROBE_UNAVAILABLE;
        out->error = EMFILE;
        return out->status;
    }
    fork_request req = {.path = path, .copy_path = copy_path, .limits = limits, .findings_fd = fds[1], .pid = -1};
    hid_t plist = H5Pcreate(H5P_FILE_ACCESS);
    if (plist >= 0) {
        int idx = 0;
        H5Piterate(plist, &idx, fork_under_lock, &req);
        H5Pclose(plist);
    }
    close(fds[1]);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    if (!req.forked || req.pid < 0) {
        close(fds[0]);
        out->status = CKPT_PROBE_UNAVAILABLE;
        out->error = req.forked ? req.fork_errno : ENOSYS;
        out->seconds = now_seconds() - t0;
        return out->status;
    }
    double deadline = t0 + limits->wall_seconds;
    useconds_t pause = 100;  // doubling to 20 ms: a small file returns within a millisecond
    int status = 0;
    for (;;) {
        drain(fds[0], out);  // the child must never block on a full pipe
        pid_t r = waitpid(req.pid, &status, WNOHANG);
        if (r == req.pid) break;
        if (r < 0 && errno != EINTR) {
            out->status = CKPT_PROBE_UNAVAILABLE;
            out->error = errno;
            kill(req.pid, SIGKILL);
            close(fds[0]);
            out->seconds = now_seconds() - t0;
            return out->status;
        }
        if (now_seconds() > deadline) {
            kill(req.pid, SIGKILL);
            while (waitpid(req.pid, &status, 0) < 0 && errno == EINTR) {}
            close(fds[0]);
            out->status = CKPT_PROBE_TIMED_OUT;
            out->seconds = now_seconds() - t0;
            return out->status;
        }
        usleep(pause);
        if (pause < 20000) pause *= 2;
    }
    drain(fds[0], out);
    close(fds[0]);
    out->seconds = now_seconds() - t0;
    if (WIFEXITED(status)) {
        switch (WEXITSTATUS(status)) {
        case CHILD_COPIED: out->status = CKPT_PROBE_OK; break;
        case CHILD_REFUSED: out->status = CKPT_PROBE_REFUSED; break;
        case CHILD_CORRUPT_HEAP: out->status = CKPT_PROBE_CORRUPT_HEAP; break;
        case CHILD_OUT_OF_MEMORY: out->status = CKPT_PROBE_MEMORY_LIMIT; break;
        case CHILD_COPY_FAILED: out->status = CKPT_PROBE_COPY_FAILED; break;
        default: out->status = CKPT_PROBE_CRASHED; out->signal = 0; break;
        }
    } else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU) {
        out->status = CKPT_PROBE_CPU_LIMIT;
    } else {
        out->status = CKPT_PROBE_CRASHED;
        out->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    }
    if (out->status != CKPT_PROBE_OK && out->status != CKPT_PROBE_REFUSED && out->status != CKPT_PROBE_COPY_FAILED) {
        free(out->findings);  // a dead or stopped child's findings say nothing
        out->findings = NULL;
        out->findings_size = 0;
    }
    return out->status;
}

void ckpt_h5_probe_free(ckpt_probe_result *result) {
    free(result->findings);
    result->findings = NULL;
    result->findings_size = 0;
}
