/*
 * sluice CGI spawn helper, native build: the same job and protocol as
 * spawn-helper.py (the protocol: PROTOCOL.md, beside this file), in C because the helper works
 * for every CGI request and a Python interpreter costs ~0.3 ms of CPU per request
 * more than this (bench/README.md). Starts programs with posix_spawn (vfork-style:
 * the cost does not grow with anyone's memory), relays their stdout and stderr to
 * the server within the credit it grants, reaps them, signals their process groups.
 * Must never run a shell, never read past a request frame, never send more output
 * than granted, and never leave a program running once its server is gone.
 *
 * Portable POSIX (poll, posix_spawn, a self-pipe for SIGCHLD); built by
 * scripts/build-helper.mjs with the system's C compiler when there is one.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_FRAME (4u * 1024u * 1024u)
#define CHUNK 65536

/* A connection from the server carrying a program's stdin, until its "i" frame is read. */
struct conn {
  int fd;
  uint32_t need; /* 4 until the length is known, then 4 + length */
  uint32_t have;
  unsigned char *buf;
};

/* A spawn request waiting for its stdin connection, or a connection waiting for its request. */
struct waiting {
  long id;
  int in_fd;            /* -1 until arrived */
  unsigned char *spec;  /* the "o" frame's body (NULL until it arrived), owned */
  uint32_t spec_len;
};

/* A started program, until it is reaped, its output relayed, and the server released it. */
struct program {
  long id;
  pid_t pid;     /* process group id too */
  int running;   /* not reaped yet */
  int released;  /* the server will send no more commands */
  int out_fd;    /* read end of its stdout pipe, -1 once at EOF */
  int err_fd;    /* read end of its stderr pipe, -1 once at EOF */
  long credit;   /* stdout bytes the server will still accept */
};

static struct conn *conns;
static size_t n_conns, cap_conns;
static struct waiting *waits;
static size_t n_waits, cap_waits;
static struct program *progs;
static size_t n_progs, cap_progs;

static int listener = -1, wake_r = -1, wake_w = -1, devnull = -1;
static unsigned char *control_buf;
static size_t control_len, control_cap;
static int control_open = 1;
static long initial_credit = CHUNK;
/* Kill a program's whole session (its background children) as soon as the program exits. */
static int kill_groups_on_exit = 1;

#if defined(__linux__) && defined(SYS_sched_setattr) && defined(SYS_sched_getattr)
/*
 * Scheduler slice for programs (Linux >= 6.12, EEVDF custom slices): how long a program
 * may run before the kernel switches to another task of the same weight. CGI programs
 * are short CPU-bound jobs; at the default slice (1.4 ms on 2 CPUs) ten of them on one
 * CPU evict each other's caches at every switch (bench/README.md: ~5% more Python-hello
 * requests per second at 50 ms). Tasks with shorter slices (the server) still preempt them on
 * wake-up, sooner than before. The helper keeps the default slice itself: it sets the
 * long one only around posix_spawn, whose child inherits it. Older kernels ignore it.
 */
struct sched_attr_v0 {
  uint32_t size, sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
};
static struct sched_attr_v0 own_attr, program_attr;
static int use_slice;

static void init_slice(long microseconds) {
  if (microseconds <= 0) return;
  if (syscall(SYS_sched_getattr, 0, &own_attr, sizeof own_attr, 0) != 0) return;
  /* Real-time or idle policies were chosen by whoever started the server: left alone. */
  if (own_attr.sched_policy != SCHED_OTHER && own_attr.sched_policy != SCHED_BATCH) return;
  own_attr.size = sizeof own_attr;
  own_attr.sched_flags = 0;
  own_attr.sched_runtime = 0; /* 0: the kernel's default slice */
  program_attr = own_attr;
  program_attr.sched_runtime = (uint64_t)microseconds * 1000u;
  use_slice = syscall(SYS_sched_setattr, 0, &own_attr, 0) == 0;
}

static void program_slice(int on) {
  if (use_slice) syscall(SYS_sched_setattr, 0, on ? &program_attr : &own_attr, 0);
}
#else
static void init_slice(long microseconds) { (void)microseconds; }
static void program_slice(int on) { (void)on; }
#endif

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
      return; /* The server is gone: nothing more to report; stdin EOF will end us. */
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

/* "<kind> <id> <n>\n" and then n bytes of a program's output, in one writev when it can. */
static void emit_bytes(char kind, long id, const char *data, size_t n) {
  char head[64];
  int h = snprintf(head, sizeof head, "%c %ld %zu\n", kind, id, n);
  struct iovec parts[2] = {{.iov_base = head, .iov_len = (size_t)h}, {.iov_base = (void *)data, .iov_len = n}};
  ssize_t written;
  do written = writev(1, parts, 2);
  while (written < 0 && errno == EINTR);
  if (written < 0) return; /* the server is gone */
  /* Interrupted part-way (a signal, a full pipe): send the rest plainly. */
  if ((size_t)written < (size_t)h) {
    emit(head + written, (size_t)h - (size_t)written);
    written = h;
  }
  emit(data + (written - h), n - (size_t)(written - h));
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

/* A pipe whose ends are closed on exec (posix_spawn's dup2 gives the program its copies). */
static int cloexec_pipe(int fds[2]) {
#ifdef __linux__
  return pipe2(fds, O_CLOEXEC);
#else
  if (pipe(fds) != 0) return -1;
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  return 0;
#endif
}

static struct program *find_program(long id) {
  for (size_t i = 0; i < n_progs; i++)
    if (progs[i].id == id) return &progs[i];
  return NULL;
}

/* Drops a program's record once it is reaped, its pipes closed, and released. */
static void maybe_forget(struct program *p) {
  if (p->running || !p->released || p->err_fd >= 0 || p->out_fd >= 0) return;
  *p = progs[--n_progs];
}

static void close_fd(int *fd) {
  if (*fd >= 0) {
    close(*fd);
    *fd = -1;
  }
}

/* Relays what the program wrote on stderr ("e <id> <n>" + bytes); closes the pipe at EOF. */
static void read_stderr(struct program *p) {
  static char data[CHUNK];
  while (p->err_fd >= 0) {
    ssize_t n = read(p->err_fd, data, sizeof data);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      close_fd(&p->err_fd);
      return;
    }
    emit_bytes('e', p->id, data, (size_t)n);
  }
}

/* Relays stdout within the credit ("d <id> <n>" + bytes); at EOF says "z <id>" and closes the pipe. */
static void read_stdout(struct program *p) {
  static char data[CHUNK];
  while (p->out_fd >= 0 && p->credit > 0) {
    size_t want = p->credit < (long)sizeof data ? (size_t)p->credit : sizeof data;
    ssize_t n = read(p->out_fd, data, want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      close_fd(&p->out_fd);
      emitf("z %ld\n", p->id);
      return;
    }
    p->credit -= n;
    emit_bytes('d', p->id, data, (size_t)n);
  }
}

static void drop_waiting(size_t index) {
  struct waiting *w = &waits[index];
  if (w->in_fd >= 0) close(w->in_fd);
  free(w->spec);
  *w = waits[--n_waits];
}

static struct waiting *find_waiting(long id, size_t *index) {
  for (size_t i = 0; i < n_waits; i++) {
    if (waits[i].id == id) {
      *index = i;
      return &waits[i];
    }
  }
  return NULL;
}

/* The server is done with program `id`: no command will come for it. */
static void release(long id) {
  size_t index;
  if (find_waiting(id, &index) != NULL) drop_waiting(index); /* gave up before it started */
  struct program *p = find_program(id);
  if (p == NULL) return;
  p->released = 1;
  /* A child the program left behind may hold its pipes open; they are not relayed any more. */
  close_fd(&p->err_fd);
  close_fd(&p->out_fd);
  maybe_forget(p);
}

/*
 * A whole field as a decimal number within [min, max], or 0: frames come from the server,
 * but a number that does not parse, has trailing bytes or is out of range (argc of
 * 9223372036854775807, a credit that would overflow) is refused, never trusted.
 */
static int parse_number(const char *text, long min, long max, long *out) {
  if (text == NULL || *text == 0) return 0;
  char *end;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno != 0 || *end != 0 || value < min || value > max) return 0;
  *out = value;
  return 1;
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

/* "o" fields: o, id, stdin flag, releases, file, cwd, argc, argv..., env... */
static void spawn_program(long id, unsigned char *spec, uint32_t len, int in_fd) {
  long max = (long)len + 1;
  char **fields = malloc((size_t)max * sizeof *fields);
  long n = fields == NULL ? -1 : split_fields(spec, len, fields, max);
  long argc = -1;
  /* argc is checked against the fields there are (n - 7), never added to: no overflow. */
  if (n < 7 || !parse_number(fields[6], 1, n - 7, &argc)) {
    emitf("f %ld EINVAL bad spawn frame\n", id);
    free(fields);
    return;
  }
  char *file = fields[4], *cwd = fields[5];
  char **argv = malloc((size_t)(argc + 1) * sizeof *argv);
  char **envp = malloc((size_t)(n - 7 - argc + 1) * sizeof *envp);
  int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  int error = 0;
  if (argv == NULL || envp == NULL) error = ENOMEM;
  if (!error) {
    memcpy(argv, fields + 7, (size_t)argc * sizeof *argv);
    argv[argc] = NULL;
    memcpy(envp, fields + 7 + argc, (size_t)(n - 7 - argc) * sizeof *envp);
    envp[n - 7 - argc] = NULL;
    /* O_NONBLOCK belongs to the open file, which the program shares: it must get blocking stdio. */
    if (in_fd >= 0) set_blocking(in_fd, 1);
    if (cloexec_pipe(out_pipe) != 0 || cloexec_pipe(err_pipe) != 0) error = errno;
  }
  if (!error && chdir(cwd) != 0) error = errno;
  pid_t pid = -1;
  if (!error) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    sigset_t defaults, empty;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in_fd >= 0 ? in_fd : devnull, 0);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    posix_spawnattr_init(&attr);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE); /* ignored here */
    sigaddset(&defaults, SIGCHLD); /* handled here */
    sigemptyset(&empty);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setsigmask(&attr, &empty);
#ifdef POSIX_SPAWN_SETSID
    /* Its own session, hence its own process group: nothing it starts can join the server's. */
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
#else
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
#endif
    program_slice(1);
    error = posix_spawn(&pid, file, &actions, &attr, argv, envp);
    program_slice(0);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  close_fd(&out_pipe[1]);
  close_fd(&err_pipe[1]);
  if (error) {
    close_fd(&out_pipe[0]);
    close_fd(&err_pipe[0]);
    emitf("f %ld %s %s\n", id, errno_name(error), strerror(error));
  } else {
    progs = grow(progs, &cap_progs, n_progs + 1, sizeof *progs);
    /* Only the helper's read ends are non-blocking: the program's write ends are other open files. */
    fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
    fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);
    progs[n_progs++] = (struct program){
        .id = id, .pid = pid, .running = 1, .released = 0, .out_fd = out_pipe[0], .err_fd = err_pipe[0], .credit = initial_credit};
    emitf("p %ld %ld\n", id, (long)pid);
  }
  free(argv);
  free(envp);
  free(fields);
}

/* Starts the program of waiting entry `index` if everything it needs has arrived. */
static void maybe_spawn(size_t index) {
  struct waiting *w = &waits[index];
  if (w->spec == NULL) return;
  char *flag = field(w->spec, w->spec_len, 2);
  int wants_stdin = flag != NULL && flag[0] == '1';
  if (wants_stdin && w->in_fd < 0) return;
  if (!wants_stdin && w->in_fd >= 0) {
    drop_waiting(index); /* a stdin connection for a program that has none: broken request */
    return;
  }
  struct waiting ready = *w;
  waits[index] = waits[--n_waits];
  spawn_program(ready.id, ready.spec, ready.spec_len, ready.in_fd);
  if (ready.in_fd >= 0) close(ready.in_fd);
  free(ready.spec);
}

static size_t waiting_for(long id) {
  size_t index;
  if (find_waiting(id, &index) != NULL) return index;
  waits = grow(waits, &cap_waits, n_waits + 1, sizeof *waits);
  waits[n_waits] = (struct waiting){.id = id, .in_fd = -1, .spec = NULL, .spec_len = 0};
  return n_waits++;
}

/* A command frame from the server (on stdin). `body` stays owned by the caller unless kept. */
static void on_command(unsigned char *body, uint32_t len) {
  char *kind = field(body, len, 0), *id_text = field(body, len, 1);
  long id;
  if (kind == NULL || !parse_number(id_text, 0, LONG_MAX, &id)) return;
  if (strcmp(kind, "o") == 0) {
    /* Releases ride on spawn frames: field 3, a comma-separated list. */
    char *p = field(body, len, 3);
    while (p != NULL && *p) {
      char *end;
      errno = 0;
      long released = strtol(p, &end, 10);
      if (end == p || errno != 0 || (*end != ',' && *end != 0)) break; /* garbage: the rest is ignored */
      release(released);
      p = *end == ',' ? end + 1 : end;
    }
    size_t index = waiting_for(id);
    if (waits[index].spec != NULL) {
      drop_waiting(index); /* the same id twice */
      return;
    }
    unsigned char *copy = malloc(len);
    if (copy == NULL) {
      emitf("f %ld ENOMEM out of memory\n", id);
      drop_waiting(index);
      return;
    }
    memcpy(copy, body, len);
    waits[index].spec = copy;
    waits[index].spec_len = len;
    maybe_spawn(index);
  } else if (strcmp(kind, "k") == 0) {
    long sig;
    struct program *p = find_program(id);
    /* Also after the program's exit: children it left in its group may still hold its output. */
    if (p != NULL && !p->released && parse_number(field(body, len, 2), 1, 64, &sig)) kill(-p->pid, (int)sig);
  } else if (strcmp(kind, "c") == 0) {
    long amount;
    struct program *p = find_program(id);
    if (p != NULL && parse_number(field(body, len, 2), 0, MAX_FRAME, &amount)) {
      /* Bounded: a server granting without end cannot overflow the count. */
      p->credit = p->credit > LONG_MAX - amount ? LONG_MAX : p->credit + amount;
      read_stdout(p);
      maybe_forget(p);
    }
  } else if (strcmp(kind, "r") == 0) {
    release(id);
  }
}

/* Reads commands from stdin: frames of a 4-byte length and NUL-terminated fields. */
static void control(void) {
  control_buf = grow(control_buf, &control_cap, control_len + CHUNK, 1);
  ssize_t n = read(0, control_buf + control_len, CHUNK);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    control_open = 0;
    return;
  }
  control_len += (size_t)n;
  size_t at = 0;
  while (control_len - at >= 4) {
    unsigned char *h = control_buf + at;
    uint32_t len = ((uint32_t)h[0] << 24) | ((uint32_t)h[1] << 16) | ((uint32_t)h[2] << 8) | h[3];
    if (len > MAX_FRAME) {
      fprintf(stderr, "sluice spawn helper: command frame of %u bytes\n", len);
      exit(65);
    }
    if (control_len - at < 4 + (size_t)len) break;
    on_command(h + 4, len);
    at += 4 + (size_t)len;
  }
  memmove(control_buf, control_buf + at, control_len - at);
  control_len -= at;
}

static void drop_conn(size_t index) {
  close(conns[index].fd);
  free(conns[index].buf);
  conns[index] = conns[--n_conns];
}

/* An "i" frame arrived on a connection (removed from the list): it becomes that program's stdin. */
static void on_stdin_frame(struct conn *c) {
  unsigned char *body = c->buf + 4;
  uint32_t len = c->have - 4;
  char *role = field(body, len, 0), *id_text = field(body, len, 1);
  int valid = role != NULL && id_text != NULL && strcmp(role, "i") == 0;
  long id = 0;
  valid = valid && parse_number(id_text, 0, LONG_MAX, &id);
  free(c->buf);
  if (!valid) {
    close(c->fd);
    return;
  }
  size_t index = waiting_for(id);
  if (waits[index].in_fd >= 0) {
    close(c->fd);
    drop_waiting(index); /* the same id twice */
    return;
  }
  waits[index].in_fd = c->fd;
  maybe_spawn(index);
}

/* Reads what connection `index` has, exactly up to its frame's end (the rest is the program's stdin). */
static void read_conn(size_t index) {
  struct conn *c = &conns[index];
  for (;;) {
    if (c->have == c->need && c->need > 4) {
      struct conn done = *c;
      conns[index] = conns[--n_conns];
      on_stdin_frame(&done);
      return;
    }
    ssize_t n = recv(c->fd, c->buf + c->have, c->need - c->have, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      drop_conn(index);
      return;
    }
    c->have += (uint32_t)n;
    if (c->need == 4 && c->have == 4) {
      uint32_t len = ((uint32_t)c->buf[0] << 24) | ((uint32_t)c->buf[1] << 16) | ((uint32_t)c->buf[2] << 8) | c->buf[3];
      if (len == 0 || len > 64) {
        drop_conn(index);
        return;
      }
      unsigned char *buf = realloc(c->buf, 4 + (size_t)len);
      if (buf == NULL) {
        drop_conn(index);
        return;
      }
      c->buf = buf;
      c->need = 4 + len;
    }
  }
}

static void accept_all(void) {
  for (;;) {
#ifdef __linux__
    int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
#else
    int fd = accept(listener, NULL, NULL);
    if (fd >= 0) {
      fcntl(fd, F_SETFD, FD_CLOEXEC);
      set_blocking(fd, 0);
    }
#endif
    if (fd < 0) {
      if (errno == EINTR) continue;
      return;
    }
    unsigned char *buf = malloc(4);
    if (buf == NULL) {
      close(fd);
      continue;
    }
    conns = grow(conns, &cap_conns, n_conns + 1, sizeof *conns);
    conns[n_conns++] = (struct conn){.fd = fd, .need = 4, .have = 0, .buf = buf};
  }
}

static struct program *running_program(pid_t pid) {
  for (size_t i = 0; i < n_progs; i++)
    if (progs[i].pid == pid && progs[i].running) return &progs[i];
  return NULL;
}

static void reap(void) {
  char drain[256];
  while (read(wake_r, drain, sizeof drain) > 0) {
  }
  for (;;) {
    /* Seen before it is reaped (WNOWAIT): while it is a zombie its pid, and so its group id,
       cannot be taken by another process, so the kill below reaches its own leftovers only. */
    siginfo_t info;
    memset(&info, 0, sizeof info);
    if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) return;
    pid_t pid = info.si_pid;
    struct program *p = running_program(pid);
    if (p != NULL && kill_groups_on_exit) kill(-pid, SIGKILL);
    int status;
    if (waitpid(pid, &status, 0) != pid) return;
    if (p == NULL) continue;
    p->running = 0;
    /* Relay what the program wrote before exiting first: stderr all of it, stdout within the credit. */
    read_stderr(p);
    read_stdout(p);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? -WTERMSIG(status) : -1;
    emitf("x %ld %d\n", p->id, code);
    maybe_forget(p);
  }
}

static void shutdown_all(void) {
  for (size_t i = 0; i < n_progs; i++)
    if (progs[i].running || !progs[i].released) kill(-progs[i].pid, SIGKILL);
  for (size_t i = 0; i < n_progs; i++)
    if (progs[i].running) waitpid(progs[i].pid, NULL, 0);
}

/* Descriptors the server's process left open without close-on-exec must not reach programs. */
static void close_inherited(void) {
#if defined(__linux__) && defined(SYS_close_range)
  if (syscall(SYS_close_range, 3u, ~0u, 0u) == 0) return;
#endif
  long max = sysconf(_SC_OPEN_MAX);
  if (max < 0 || max > 65536) max = 65536;
  for (int fd = 3; fd < max; fd++) close(fd);
}

/* Reads the command line; 0, or the exit status for a bad one (64). */
static int parse_arguments(int argc, char **argv) {
  if (argc < 2 || strlen(argv[1]) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
    fprintf(stderr, "usage: spawn-helper <socket path> [initial credit] [program slice in us] [kill groups on exit: 1|0]\n");
    return 64;
  }
  long number;
  if (argc > 2 && !parse_number(argv[2], 1, MAX_FRAME, &initial_credit)) {
    fprintf(stderr, "sluice spawn helper: bad initial credit %s\n", argv[2]);
    return 64;
  }
  if (argc > 3 && parse_number(argv[3], 0, 100000, &number)) init_slice(number);
  if (argc > 4) kill_groups_on_exit = strcmp(argv[4], "0") != 0;
  return 0;
}

/* The self-pipe for SIGCHLD, /dev/null, and the listening socket at `path`; 0, or 71. */
static int set_up(const char *path) {
  signal(SIGPIPE, SIG_IGN);
  int wake[2];
  if (cloexec_pipe(wake) != 0) {
    perror("pipe");
    return 71;
  }
  wake_r = wake[0];
  wake_w = wake[1];
  set_blocking(wake_r, 0);
  set_blocking(wake_w, 0);
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
  strcpy(address.sun_path, path);
  if (devnull < 0 || listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 256) != 0) {
    perror("sluice spawn helper: cannot listen");
    return 71;
  }
  fcntl(listener, F_SETFD, FD_CLOEXEC);
  set_blocking(listener, 0);
  set_blocking(0, 0);
  return 0;
}

/* What one poll() waits on: three fixed slots, then body connections, then program pipes. */
enum { SLOT_LISTENER, SLOT_WAKE, SLOT_CONTROL, FIXED_SLOTS };
struct poll_set {
  struct pollfd *fds;
  long *owners; /* the program id of each pipe entry */
  size_t cap_fds, cap_owners;
  size_t count, first_conn, first_pipe;
};

/* Rebuilt before every poll(): connections and programs come and go between two calls. */
static void build_poll_set(struct poll_set *set) {
  size_t count = FIXED_SLOTS + n_conns + 2 * n_progs;
  set->fds = grow(set->fds, &set->cap_fds, count, sizeof *set->fds);
  set->owners = grow(set->owners, &set->cap_owners, count, sizeof *set->owners);
  struct pollfd *fds = set->fds;
  fds[SLOT_LISTENER] = (struct pollfd){.fd = listener, .events = POLLIN};
  fds[SLOT_WAKE] = (struct pollfd){.fd = wake_r, .events = POLLIN};
  fds[SLOT_CONTROL] = (struct pollfd){.fd = 0, .events = POLLIN};
  size_t k = FIXED_SLOTS;
  set->first_conn = k;
  for (size_t i = 0; i < n_conns; i++) fds[k++] = (struct pollfd){.fd = conns[i].fd, .events = POLLIN};
  set->first_pipe = k;
  for (size_t i = 0; i < n_progs; i++) {
    struct program *p = &progs[i];
    if (p->err_fd >= 0) {
      set->owners[k] = p->id;
      fds[k++] = (struct pollfd){.fd = p->err_fd, .events = POLLIN};
    }
    /* Without credit the pipe is not read: the program blocks on it (backpressure). */
    if (p->out_fd >= 0 && p->credit > 0) {
      set->owners[k] = p->id;
      fds[k++] = (struct pollfd){.fd = p->out_fd, .events = POLLIN};
    }
  }
  set->count = k;
}

/* Handles what poll() reported: output first (it comes before the exit status), then exits, then new work. */
static void dispatch(const struct poll_set *set) {
  const struct pollfd *fds = set->fds;
  for (size_t i = set->first_pipe; i < set->count; i++) {
    if (!fds[i].revents) continue;
    struct program *p = find_program(set->owners[i]);
    if (p == NULL) continue;
    if (fds[i].fd == p->err_fd) read_stderr(p);
    else if (fds[i].fd == p->out_fd) read_stdout(p);
    maybe_forget(p);
  }
  if (fds[SLOT_WAKE].revents) reap();
  for (size_t i = set->first_conn; i < set->first_pipe; i++) {
    if (!fds[i].revents) continue;
    for (size_t j = 0; j < n_conns; j++) {
      if (conns[j].fd == fds[i].fd) {
        read_conn(j);
        break;
      }
    }
  }
  if (fds[SLOT_CONTROL].revents) control();
  if (fds[SLOT_LISTENER].revents) accept_all();
}

int main(int argc, char **argv) {
  int status = parse_arguments(argc, argv);
  if (status != 0) return status;
  close_inherited();
  status = set_up(argv[1]);
  if (status != 0) return status;
  emit("ready\n", 6);
  struct poll_set set = {0};
  while (control_open) {
    build_poll_set(&set);
    if (poll(set.fds, set.count, -1) < 0) {
      if (errno == EINTR) continue;
      perror("poll");
      break;
    }
    dispatch(&set);
  }
  shutdown_all();
  return 0;
}
