/*
 * sluice CGI spawn helper, native build: the same job and protocol as
 * spawn-helper.py (see its header for the protocol), in C because the helper runs
 * once or twice per CGI request and a Python interpreter costs ~0.3 ms of CPU per
 * request more than this (bench/README.md). Starts programs with posix_spawn
 * (vfork-style: the cost does not grow with anyone's memory), reaps them, forwards
 * their stderr, signals their process groups. Must never run a shell, never read
 * past a request frame, and never leave a program running once its server is gone.
 *
 * Portable POSIX (poll, posix_spawn, a self-pipe for SIGCHLD); built by
 * scripts/build-helper.mjs with the system's C compiler when there is one.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_FRAME (4u * 1024u * 1024u)

/* A connection from the server, until its frame is read. */
struct conn {
  int fd;
  uint32_t need; /* 4 until the length is known, then 4 + length */
  uint32_t have;
  unsigned char *buf;
};

/* A program's connections, until both arrived ("out" always, "in" when it gets a body). */
struct waiting {
  long id;
  int out_fd, in_fd; /* -1 until arrived */
  unsigned char *spec; /* the "out" frame's body, owned */
  uint32_t spec_len;
};

/* A started program, until the server releases it (groups) or it is reaped (pid). */
struct program {
  long id;
  pid_t pid;     /* process group id too */
  int running;   /* not reaped yet */
  int released;  /* the server will send no kill */
  int err_fd;    /* read end of its stderr pipe, -1 once closed */
};

static struct conn *conns;
static size_t n_conns, cap_conns;
static struct waiting *waits;
static size_t n_waits, cap_waits;
static struct program *progs;
static size_t n_progs, cap_progs;

static int listener = -1, wake_r = -1, wake_w = -1, devnull = -1;
static char control_buf[65536];
static size_t control_len;
static int control_open = 1;

static void *grow(void *array, size_t *cap, size_t need, size_t size) {
  if (need <= *cap) return array;
  size_t next = *cap ? *cap * 2 : 16;
  while (next < need) next *= 2;
  void *grown = realloc(array, next * size);
  if (grown == NULL) {
    perror("sluice spawn helper: out of memory");
    exit(70);
  }
  *cap = next;
  return grown;
}

/* Messages to the server go to stdout (blocking: the server always reads). */
static void emit(const void *data, size_t len) {
  const char *p = data;
  while (len > 0) {
    ssize_t n = write(1, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      /* The server is gone: nothing more to report; stdin EOF will end us. */
      return;
    }
    p += n;
    len -= (size_t)n;
  }
}

static void emitf(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void emitf(const char *format, ...) {
  char line[512];
  va_list args;
  va_start(args, format);
  int n = vsnprintf(line, sizeof line, format, args);
  va_end(args);
  if (n > (int)sizeof line - 1) n = (int)sizeof line - 1;
  if (n > 0) emit(line, (size_t)n);
}

static const char *errno_name(int e) {
  switch (e) {
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOEXEC: return "ENOEXEC";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case ELOOP: return "ELOOP";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ETXTBSY: return "ETXTBSY";
    case E2BIG: return "E2BIG";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case EINVAL: return "EINVAL";
    default: return "EIO";
  }
}

static void on_sigchld(int sig) {
  (void)sig;
  int saved = errno;
  char byte = 0;
  (void)!write(wake_w, &byte, 1);
  errno = saved;
}

static void set_blocking(int fd, int blocking) {
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, blocking ? (flags & ~O_NONBLOCK) : (flags | O_NONBLOCK));
}

static struct program *find_program(long id) {
  for (size_t i = 0; i < n_progs; i++)
    if (progs[i].id == id) return &progs[i];
  return NULL;
}

/* Drops a program's record once it is both reaped and released. */
static void maybe_forget(struct program *p) {
  if (p->running || !p->released || p->err_fd >= 0) return;
  *p = progs[--n_progs];
}

static void close_stderr(struct program *p) {
  if (p->err_fd >= 0) {
    close(p->err_fd);
    p->err_fd = -1;
  }
}

/* Forwards what the program wrote on stderr; closes the pipe at EOF. */
static void read_stderr(struct program *p) {
  static char data[65536];
  while (p->err_fd >= 0) {
    ssize_t n = read(p->err_fd, data, sizeof data);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      close_stderr(p);
      return;
    }
    emitf("e %ld %zd\n", p->id, n);
    emit(data, (size_t)n);
  }
}

static void drop_waiting(size_t index) {
  struct waiting *w = &waits[index];
  if (w->out_fd >= 0) close(w->out_fd);
  if (w->in_fd >= 0) close(w->in_fd);
  free(w->spec);
  *w = waits[--n_waits];
}

static void release(long id) {
  for (size_t i = 0; i < n_waits; i++) {
    if (waits[i].id == id) {
      /* The server gave up on a spawn before both connections arrived. */
      drop_waiting(i);
      break;
    }
  }
  struct program *p = find_program(id);
  if (p == NULL) return;
  p->released = 1;
  /* A child the program left behind may hold stderr open; it is not forwarded any more. */
  close_stderr(p);
  maybe_forget(p);
}

/* Splits the NUL-terminated fields of a frame body; returns how many, or -1. */
static long split_fields(unsigned char *body, uint32_t len, char **fields, long max) {
  long n = 0;
  uint32_t start = 0;
  for (uint32_t i = 0; i < len; i++) {
    if (body[i] != 0) continue;
    if (n == max) return -1;
    fields[n++] = (char *)body + start;
    start = i + 1;
  }
  return start == len ? n : -1;
}

static void spawn_program(struct waiting *w) {
  long id = w->id;
  /* out frame: "o", id, stdin flag, releases, file, cwd, argc, argv..., env... */
  uint32_t len = w->spec_len;
  long max = (long)len + 1;
  char **fields = malloc((size_t)max * sizeof *fields);
  long n = fields == NULL ? -1 : split_fields(w->spec, len, fields, max);
  long argc = n >= 7 ? strtol(fields[6], NULL, 10) : -1;
  if (n < 7 || argc < 1 || 7 + argc > n) {
    emitf("f %ld EINVAL bad spawn frame\n", id);
    free(fields);
    return;
  }
  char *file = fields[4], *cwd = fields[5];
  char **argv = malloc((size_t)(argc + 1) * sizeof *argv);
  char **envp = malloc((size_t)(n - 7 - argc + 1) * sizeof *envp);
  int err_pipe[2] = {-1, -1};
  int error = 0;
  if (argv == NULL || envp == NULL) error = ENOMEM;
  if (!error) {
    memcpy(argv, fields + 7, (size_t)argc * sizeof *argv);
    argv[argc] = NULL;
    memcpy(envp, fields + 7 + argc, (size_t)(n - 7 - argc) * sizeof *envp);
    envp[n - 7 - argc] = NULL;
    /* O_NONBLOCK belongs to the open file, which the program shares: it must get blocking stdio. */
    set_blocking(w->out_fd, 1);
    if (w->in_fd >= 0) set_blocking(w->in_fd, 1);
    if (pipe(err_pipe) != 0) error = errno;
  }
  if (!error && chdir(cwd) != 0) error = errno;
  pid_t pid = -1;
  if (!error) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    sigset_t defaults, empty;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, w->in_fd >= 0 ? w->in_fd : devnull, 0);
    posix_spawn_file_actions_adddup2(&actions, w->out_fd, 1);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    posix_spawnattr_init(&attr);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE); /* ignored here */
    sigaddset(&defaults, SIGCHLD); /* handled here */
    sigemptyset(&empty);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setsigmask(&attr, &empty);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    error = posix_spawn(&pid, file, &actions, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  if (err_pipe[1] >= 0) close(err_pipe[1]);
  if (error) {
    if (err_pipe[0] >= 0) close(err_pipe[0]);
    emitf("f %ld %s %s\n", id, errno_name(error), strerror(error));
  } else {
    progs = grow(progs, &cap_progs, n_progs + 1, sizeof *progs);
    set_blocking(err_pipe[0], 0);
    fcntl(err_pipe[0], F_SETFD, FD_CLOEXEC);
    progs[n_progs++] = (struct program){.id = id, .pid = pid, .running = 1, .released = 0, .err_fd = err_pipe[0]};
    emitf("p %ld %ld\n", id, (long)pid);
  }
  free(argv);
  free(envp);
  free(fields);
}

/* The `index`-th NUL-terminated field of a frame body, or NULL. */
static char *field(unsigned char *body, uint32_t len, unsigned index) {
  uint32_t start = 0;
  for (uint32_t i = 0; i < len; i++) {
    if (body[i] != 0) continue;
    if (index-- == 0) return (char *)body + start;
    start = i + 1;
  }
  return NULL;
}

/* A complete frame arrived on connection `c`, removed from the list: hand it over or close it. */
static void on_frame(struct conn *c) {
  unsigned char *body = c->buf + 4;
  uint32_t len = c->have - 4;
  char *role = field(body, len, 0), *id_text = field(body, len, 1);
  if (role == NULL || id_text == NULL || (strcmp(role, "o") != 0 && strcmp(role, "i") != 0)) {
    close(c->fd);
    free(c->buf);
    return;
  }
  long id = strtol(id_text, NULL, 10);
  int is_out = role[0] == 'o';
  if (is_out) {
    /* Releases ride on spawn frames: field 3, a comma-separated list. */
    char *p = field(body, len, 3);
    while (p != NULL && *p) {
      char *end;
      long released = strtol(p, &end, 10);
      if (end == p) break;
      release(released);
      p = *end == ',' ? end + 1 : end;
    }
  }
  size_t index = n_waits;
  for (size_t w = 0; w < n_waits; w++)
    if (waits[w].id == id) index = w;
  if (index == n_waits) {
    waits = grow(waits, &cap_waits, n_waits + 1, sizeof *waits);
    waits[n_waits++] = (struct waiting){.id = id, .out_fd = -1, .in_fd = -1, .spec = NULL, .spec_len = 0};
  }
  struct waiting *w = &waits[index];
  if ((is_out && w->out_fd >= 0) || (!is_out && w->in_fd >= 0)) {
    /* The same role twice: the request is broken, drop all of it. */
    close(c->fd);
    free(c->buf);
    drop_waiting(index);
    return;
  }
  if (is_out) {
    w->out_fd = c->fd;
    memmove(c->buf, body, len); /* keep the body only */
    w->spec = c->buf;
    w->spec_len = len;
  } else {
    w->in_fd = c->fd;
    free(c->buf);
  }
  if (w->out_fd < 0) return;
  char *flag = field(w->spec, w->spec_len, 2);
  int wants_stdin = flag != NULL && flag[0] == '1';
  if (wants_stdin && w->in_fd < 0) return;
  if (!wants_stdin && w->in_fd >= 0) {
    drop_waiting(index);
    return;
  }
  struct waiting ready = *w;
  waits[index] = waits[--n_waits];
  spawn_program(&ready);
  close(ready.out_fd);
  if (ready.in_fd >= 0) close(ready.in_fd);
  free(ready.spec);
}

static void drop_conn(size_t index) {
  close(conns[index].fd);
  free(conns[index].buf);
  conns[index] = conns[--n_conns];
}

/* Reads what connection `index` has, exactly up to its frame's end. Returns 1 if it was removed. */
static int read_conn(size_t index) {
  struct conn *c = &conns[index];
  for (;;) {
    if (c->have == c->need && c->need > 4) {
      struct conn done = *c;
      conns[index] = conns[--n_conns];
      on_frame(&done);
      return 1;
    }
    ssize_t n = recv(c->fd, c->buf + c->have, c->need - c->have, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return 0;
    if (n <= 0) {
      drop_conn(index);
      return 1;
    }
    c->have += (uint32_t)n;
    if (c->need == 4 && c->have == 4) {
      uint32_t len = ((uint32_t)c->buf[0] << 24) | ((uint32_t)c->buf[1] << 16) | ((uint32_t)c->buf[2] << 8) | c->buf[3];
      if (len == 0 || len > MAX_FRAME) {
        drop_conn(index);
        return 1;
      }
      unsigned char *buf = realloc(c->buf, 4 + (size_t)len);
      if (buf == NULL) {
        drop_conn(index);
        return 1;
      }
      c->buf = buf;
      c->need = 4 + len;
    }
  }
}

static void accept_all(void) {
  for (;;) {
    int fd = accept(listener, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR) continue;
      return;
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    set_blocking(fd, 0);
    unsigned char *buf = malloc(4);
    if (buf == NULL) {
      close(fd);
      continue;
    }
    conns = grow(conns, &cap_conns, n_conns + 1, sizeof *conns);
    conns[n_conns++] = (struct conn){.fd = fd, .need = 4, .have = 0, .buf = buf};
  }
}

static void reap(void) {
  char drain[256];
  while (read(wake_r, drain, sizeof drain) > 0) {
  }
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    for (size_t i = 0; i < n_progs; i++) {
      struct program *p = &progs[i];
      if (p->pid != pid || !p->running) continue;
      p->running = 0;
      /* What the program wrote on stderr before exiting is in the pipe now: forward it first. */
      read_stderr(p);
      int code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? -WTERMSIG(status) : -1;
      emitf("x %ld %d\n", p->id, code);
      maybe_forget(p);
      break;
    }
  }
}

/* Commands on stdin, one per line: "k <id> <signal>" and "r <id>". */
static void control(void) {
  ssize_t n = read(0, control_buf + control_len, sizeof control_buf - control_len);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    control_open = 0;
    return;
  }
  control_len += (size_t)n;
  size_t start = 0;
  for (size_t i = 0; i < control_len; i++) {
    if (control_buf[i] != '\n') continue;
    control_buf[i] = 0;
    char *line = control_buf + start;
    start = i + 1;
    char kind = line[0];
    char *end;
    long id = strtol(line + 1, &end, 10);
    if (kind == 'k') {
      int sig = (int)strtol(end, NULL, 10);
      struct program *p = find_program(id);
      if (p != NULL && !p->released) kill(-p->pid, sig);
    } else if (kind == 'r') {
      release(id);
    }
  }
  memmove(control_buf, control_buf + start, control_len - start);
  control_len -= start;
  if (control_len == sizeof control_buf) control_len = 0; /* a line that long is not ours */
}

static void shutdown_all(void) {
  for (size_t i = 0; i < n_progs; i++)
    if (!progs[i].released || progs[i].running) kill(-progs[i].pid, SIGKILL);
  for (size_t i = 0; i < n_progs; i++)
    if (progs[i].running) waitpid(progs[i].pid, NULL, 0);
}

int main(int argc, char **argv) {
  if (argc != 2 || strlen(argv[1]) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
    fprintf(stderr, "usage: spawn-helper <socket path>\n");
    return 64;
  }
  signal(SIGPIPE, SIG_IGN);
  int wake[2];
  if (pipe(wake) != 0) {
    perror("pipe");
    return 71;
  }
  wake_r = wake[0];
  wake_w = wake[1];
  set_blocking(wake_r, 0);
  set_blocking(wake_w, 0);
  fcntl(wake_r, F_SETFD, FD_CLOEXEC);
  fcntl(wake_w, F_SETFD, FD_CLOEXEC);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGCHLD, &sa, NULL);
  devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  listener = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un address;
  memset(&address, 0, sizeof address);
  address.sun_family = AF_UNIX;
  strcpy(address.sun_path, argv[1]);
  if (devnull < 0 || listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 256) != 0) {
    perror("sluice spawn helper: cannot listen");
    return 71;
  }
  fcntl(listener, F_SETFD, FD_CLOEXEC);
  set_blocking(listener, 0);
  set_blocking(0, 0);
  emit("ready\n", 6);
  struct pollfd *fds = NULL;
  size_t cap_fds = 0;
  while (control_open) {
    size_t count = 3 + n_conns + n_progs;
    fds = grow(fds, &cap_fds, count, sizeof *fds);
    size_t k = 0;
    fds[k++] = (struct pollfd){.fd = listener, .events = POLLIN};
    fds[k++] = (struct pollfd){.fd = wake_r, .events = POLLIN};
    fds[k++] = (struct pollfd){.fd = 0, .events = POLLIN};
    size_t first_conn = k;
    for (size_t i = 0; i < n_conns; i++) fds[k++] = (struct pollfd){.fd = conns[i].fd, .events = POLLIN};
    size_t first_prog = k;
    for (size_t i = 0; i < n_progs; i++) fds[k++] = (struct pollfd){.fd = progs[i].err_fd, .events = POLLIN};
    if (poll(fds, k, -1) < 0) {
      if (errno == EINTR) continue;
      perror("poll");
      break;
    }
    /* Stderr first (its bytes come before the exit status), then exits, then new work. */
    long ready_ids[64];
    size_t n_ready = 0;
    for (size_t i = first_prog; i < k && n_ready < 64; i++)
      if (fds[i].fd >= 0 && fds[i].revents) ready_ids[n_ready++] = progs[i - first_prog].id;
    for (size_t i = 0; i < n_ready; i++) {
      struct program *p = find_program(ready_ids[i]);
      if (p != NULL) {
        read_stderr(p);
        maybe_forget(p);
      }
    }
    if (fds[1].revents) reap();
    /* Connections: the array changes as frames complete, so look them up by descriptor. */
    for (size_t i = first_conn; i < first_prog; i++) {
      if (!fds[i].revents) continue;
      for (size_t j = 0; j < n_conns; j++) {
        if (conns[j].fd == fds[i].fd) {
          read_conn(j);
          break;
        }
      }
    }
    if (fds[0].revents) accept_all();
    if (fds[2].revents) control();
  }
  shutdown_all();
  return 0;
}
