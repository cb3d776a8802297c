"""sluice CGI spawn helper: a small process that starts CGI programs for the Node
server with posix_spawn (vfork-style, so the cost does not grow with the server's
memory and the server's event loop never blocks on fork), relays their output, reaps
them, and signals their process groups. Must never run a shell, never read past a
request frame, never send more output than granted, and never leave a program running
once the server is gone. spawn-helper.c is the same program in C (used when it could
be built: it costs less CPU per request); both speak the protocol of PROTOCOL.md.

Usage: spawn-helper.py <socket path> [initial credit] [program slice in microseconds] [kill groups on exit: 1|0]

The protocol (command line, frames, messages, what is refused and how) is written down in
PROTOCOL.md, beside this file.
"""

import errno
import os
import selectors
import signal
import socket
import struct
import sys

MAX_FRAME = 4 * 1024 * 1024
CHUNK = 65536
# Signals Python sets up for itself that a CGI program must get back at their defaults.
DEFAULT_SIGNALS = [signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGCHLD, signal.SIGTERM]


def number(field, low, high):
    """A whole field as a decimal integer within [low, high], or None."""
    # Longer than any 64-bit number: refused before int() (which also refuses over 4300 digits).
    if not field or len(field) > 20 or not field.isdigit() and not (field[:1] == b"-" and field[1:].isdigit()):
        return None
    value = int(field)
    return value if low <= value <= high else None


class ProgramSlice:
    """The scheduler slice programs get (Linux >= 6.12, EEVDF custom slices; see the same
    part of spawn-helper.c for why). The helper keeps the kernel's default slice itself and
    takes the programs' one only around posix_spawn, whose child inherits it. A no-op where
    sched_setattr is unknown or refused."""

    LAYOUT = "=IIQiIQQQ"  # struct sched_attr, first version (48 bytes)
    CALLS = {"x86_64": (314, 315), "aarch64": (274, 275)}  # sched_setattr, sched_getattr

    def __init__(self, microseconds):
        self.active = False
        calls = self.CALLS.get(os.uname().machine)
        if microseconds <= 0 or calls is None or not sys.platform.startswith("linux"):
            return
        import ctypes

        self.libc = ctypes.CDLL(None, use_errno=True)
        self.set_call = calls[0]
        size = struct.calcsize(self.LAYOUT)
        current = ctypes.create_string_buffer(size)
        if self.libc.syscall(calls[1], 0, current, size, 0) != 0:
            return
        _, policy, _, nice, priority, _, _, _ = struct.unpack(self.LAYOUT, current.raw)
        if policy not in (0, 3):  # SCHED_OTHER, SCHED_BATCH: other policies are left alone
            return
        self.own = ctypes.create_string_buffer(struct.pack(self.LAYOUT, size, policy, 0, nice, priority, 0, 0, 0), size)
        self.program = ctypes.create_string_buffer(struct.pack(self.LAYOUT, size, policy, 0, nice, priority, microseconds * 1000, 0, 0), size)
        self.active = self.libc.syscall(self.set_call, 0, self.own, 0) == 0

    def __enter__(self):
        if self.active:
            self.libc.syscall(self.set_call, 0, self.program, 0)

    def __exit__(self, *_):
        if self.active:
            self.libc.syscall(self.set_call, 0, self.own, 0)


class Program:
    """A started program, until it is reaped, its output relayed and the server released it."""

    def __init__(self, ident, pid, out_fd, err_fd, credit):
        self.ident = ident
        self.pid = pid
        self.running = True
        self.released = False
        self.out_fd = out_fd
        self.err_fd = err_fd
        self.credit = credit
        self.out_watched = False


class Helper:
    def __init__(self, path, credit, program_slice, kill_groups_on_exit=True):
        self.initial_credit = credit
        self.kill_groups_on_exit = kill_groups_on_exit
        self.program_slice = program_slice
        self.selector = selectors.DefaultSelector()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(256)
        self.listener.setblocking(False)
        self.selector.register(self.listener, selectors.EVENT_READ, self.accept)
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_r, False)
        os.set_blocking(wake_w, False)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        signal.set_wakeup_fd(wake_w)
        self.wake_r = wake_r
        self.selector.register(wake_r, selectors.EVENT_READ, self.reap)
        os.set_blocking(0, False)
        self.selector.register(0, selectors.EVENT_READ, self.control)
        self.control_buffer = b""
        self.frames = {}  # stdin connection -> bytearray read so far
        self.waiting = {}  # id -> {"spec": fields, "in": socket} until both (or the spec alone) arrived
        self.programs = {}  # id -> Program
        self.running = {}  # pid -> Program until reaped
        self.devnull = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        self.out = sys.stdout.buffer
        self.done = False

    def send(self, line, data=b""):
        self.out.write(line.encode() + b"\n" + data)
        self.out.flush()

    # Commands on stdin.

    def control(self, _key):
        try:
            data = os.read(0, CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        if not data:
            self.done = True
            return
        self.control_buffer += data
        buf = self.control_buffer
        at = 0
        while len(buf) - at >= 4:
            length = struct.unpack_from(">I", buf, at)[0]
            if length > MAX_FRAME:
                sys.stderr.write(f"sluice spawn helper: command frame of {length} bytes\n")
                self.shutdown()
                sys.exit(65)
            if len(buf) - at < 4 + length:
                break
            fields = buf[at + 4:at + 4 + length].split(b"\0")
            at += 4 + length
            if fields.pop() == b"" and len(fields) >= 2:
                self.command(fields)
        self.control_buffer = buf[at:]

    def command(self, fields):
        kind = fields[0]
        ident = number(fields[1], 0, 2**63 - 1)
        if ident is None:
            return
        if kind == b"o":
            # Releases ride on spawn frames: a comma-separated list; garbage ends it.
            for released in fields[3].split(b",") if len(fields) > 3 and fields[3] else []:
                released_id = number(released, 0, 2**63 - 1)
                if released_id is None:
                    break
                self.release(released_id)
            if len(fields) < 7:
                self.send(f"f {ident} EINVAL bad spawn frame")
                return
            entry = self.waiting.setdefault(ident, {})
            if "spec" in entry:
                self.drop_waiting(ident)  # the same id twice
                return
            entry["spec"] = fields
            self.maybe_spawn(ident)
        elif kind == b"k" and len(fields) == 3:
            program = self.programs.get(ident)
            signum = number(fields[2], 1, 64)
            # Also after the program's exit: children it left in its group may still hold its output.
            if program is not None and not program.released and signum is not None:
                try:
                    os.killpg(program.pid, signum)
                except OSError:
                    pass
        elif kind == b"c" and len(fields) == 3:
            program = self.programs.get(ident)
            amount = number(fields[2], 0, MAX_FRAME)
            if program is not None and amount is not None:
                program.credit += amount
                self.read_stdout(program)
                self.maybe_forget(program)
        elif kind == b"r":
            self.release(ident)

    # Connections carrying a request body.

    def accept(self, _key):
        while True:
            try:
                conn, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            conn.setblocking(False)
            self.frames[conn] = bytearray()
            self.selector.register(conn, selectors.EVENT_READ, self.read_frame)

    def read_frame(self, key):
        conn = key.fileobj
        buf = self.frames[conn]
        while True:
            need = 4 if len(buf) < 4 else 4 + struct.unpack(">I", buf[:4])[0]
            if need > 4 + 64:
                self.drop(conn)
                return
            if len(buf) == need and need > 4:
                break
            try:
                data = conn.recv(need - len(buf))  # exactly up to the frame's end: the rest is the program's stdin
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self.drop(conn)
                return
            if not data:
                self.drop(conn)
                return
            buf += data
        self.selector.unregister(conn)
        del self.frames[conn]
        fields = bytes(buf[4:]).split(b"\0")
        ident = number(fields[1], 0, 2**63 - 1) if len(fields) == 3 and fields[2] == b"" and fields[0] == b"i" else None
        if ident is None:
            conn.close()
            return
        entry = self.waiting.setdefault(ident, {})
        if "in" in entry:
            conn.close()
            self.drop_waiting(ident)  # the same id twice
            return
        entry["in"] = conn
        self.maybe_spawn(ident)

    def drop(self, conn):
        self.selector.unregister(conn)
        del self.frames[conn]
        conn.close()

    def drop_waiting(self, ident):
        entry = self.waiting.pop(ident, {})
        if "in" in entry:
            entry["in"].close()

    # Programs.

    def maybe_spawn(self, ident):
        entry = self.waiting[ident]
        if "spec" not in entry:
            return
        wants_stdin = entry["spec"][2] == b"1"
        if wants_stdin and "in" not in entry:
            return
        del self.waiting[ident]
        stdin = entry.get("in")
        if not wants_stdin and stdin is not None:
            stdin.close()  # a stdin connection for a program that has none: broken request
            return
        try:
            self.spawn(ident, stdin, entry["spec"])
        finally:
            if stdin is not None:
                stdin.close()

    def spawn(self, ident, stdin, fields):
        pipes = []
        try:
            argc = number(fields[6], 1, len(fields) - 7)
            if argc is None:
                raise ValueError("bad spawn frame")
            env = {}
            for item in fields[7 + argc:]:
                name, _, value = item.partition(b"=")
                env[name] = value
            if stdin is not None:
                # O_NONBLOCK belongs to the open file, which the program shares: it must get blocking stdio.
                stdin.setblocking(True)
            out_r, out_w = os.pipe()
            pipes += [out_r, out_w]
            err_r, err_w = os.pipe()
            pipes += [err_r, err_w]
            os.chdir(fields[5])
            with self.program_slice:
                pid = os.posix_spawn(
                    fields[4],
                    fields[7:7 + argc],
                    env,
                    file_actions=[
                        (os.POSIX_SPAWN_DUP2, self.devnull if stdin is None else stdin.fileno(), 0),
                        (os.POSIX_SPAWN_DUP2, out_w, 1),
                        (os.POSIX_SPAWN_DUP2, err_w, 2),
                    ],
                    setsid=True,  # its own session, hence its own process group
                    setsigdef=DEFAULT_SIGNALS,
                    setsigmask=[],
                )
        except (OSError, IndexError, TypeError, ValueError) as error:
            name = errno.errorcode.get(error.errno or 0, "EIO") if isinstance(error, OSError) else "EINVAL"
            for fd in pipes:
                os.close(fd)
            self.send(f"f {ident} {name} {str(error).replace(chr(10), ' ')}")
            return
        os.close(out_w)
        os.close(err_w)
        os.set_blocking(out_r, False)
        os.set_blocking(err_r, False)
        program = Program(ident, pid, out_r, err_r, self.initial_credit)
        self.programs[ident] = program
        self.running[pid] = program
        self.selector.register(err_r, selectors.EVENT_READ, lambda _key: self.on_stderr(program))
        self.watch_stdout(program)
        self.send(f"p {ident} {pid}")

    def watch_stdout(self, program):
        """Polls the stdout pipe only while there is credit: without, the program blocks."""
        want = program.out_fd is not None and program.credit > 0
        if want and not program.out_watched:
            self.selector.register(program.out_fd, selectors.EVENT_READ, lambda _key: self.on_stdout(program))
        elif not want and program.out_watched:
            self.selector.unregister(program.out_fd)
        program.out_watched = want

    def on_stdout(self, program):
        self.read_stdout(program)
        self.maybe_forget(program)

    def on_stderr(self, program):
        self.read_stderr(program)
        self.maybe_forget(program)

    def read_stdout(self, program):
        while program.out_fd is not None and program.credit > 0:
            try:
                data = os.read(program.out_fd, min(program.credit, CHUNK))
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                data = b""
            if not data:
                self.close_stdout(program)
                self.send(f"z {program.ident}")
                return
            program.credit -= len(data)
            self.send(f"d {program.ident} {len(data)}", data)
        self.watch_stdout(program)

    def read_stderr(self, program):
        while program.err_fd is not None:
            try:
                data = os.read(program.err_fd, CHUNK)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data = b""
            if not data:
                self.close_stderr(program)
                return
            self.send(f"e {program.ident} {len(data)}", data)

    def close_stdout(self, program):
        if program.out_fd is not None:
            if program.out_watched:
                self.selector.unregister(program.out_fd)
                program.out_watched = False
            os.close(program.out_fd)
            program.out_fd = None

    def close_stderr(self, program):
        if program.err_fd is not None:
            self.selector.unregister(program.err_fd)
            os.close(program.err_fd)
            program.err_fd = None

    def maybe_forget(self, program):
        if not program.running and program.released and program.out_fd is None and program.err_fd is None:
            self.programs.pop(program.ident, None)

    def reap(self, _key):
        try:
            while os.read(self.wake_r, 512):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        while True:
            # Seen before it is reaped (WNOWAIT): while it is a zombie its pid, and so its group
            # id, cannot be taken by another process, so the kill reaches its own leftovers only.
            try:
                info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                return
            if info is None or info.si_pid == 0:
                return
            pid = info.si_pid
            program = self.running.pop(pid, None)
            if program is not None and self.kill_groups_on_exit:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
            _, status = os.waitpid(pid, 0)
            if program is not None:
                program.running = False
                # What the program wrote before exiting comes first: stderr all of it, stdout within the credit.
                self.read_stderr(program)
                self.read_stdout(program)
                self.send(f"x {program.ident} {os.waitstatus_to_exitcode(status)}")
                self.maybe_forget(program)

    def release(self, ident):
        """The server is done with program `ident`: no command will come for it."""
        self.drop_waiting(ident)  # it gave up before the program started
        program = self.programs.get(ident)
        if program is None:
            return
        program.released = True
        # A child the program left behind may hold its pipes open; they are not relayed any more.
        self.close_stdout(program)
        self.close_stderr(program)
        self.maybe_forget(program)

    def shutdown(self):
        for program in self.programs.values():
            if program.running or not program.released:
                try:
                    os.killpg(program.pid, signal.SIGKILL)
                except OSError:
                    pass
        for pid in list(self.running):
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass

    def run(self):
        self.send("ready")
        while not self.done:
            for key, _ in self.selector.select():
                key.data(key)
        self.shutdown()


def close_inherited():
    """Descriptors the server's process left open without close-on-exec must not reach programs."""
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        fds = range(3, 1024)
    for fd in fds:
        if fd > 2:
            try:
                os.close(fd)
            except OSError:
                pass


def main():
    close_inherited()
    args = [arg.encode() for arg in sys.argv]
    credit = number(args[2], 1, MAX_FRAME) if len(args) > 2 else CHUNK
    program_slice = number(args[3], 0, 100000) if len(args) > 3 else 0
    if len(args) < 2 or credit is None or program_slice is None:
        sys.stderr.write("usage: spawn-helper.py <socket path> [initial credit] [program slice in us] [kill groups on exit: 1|0]\n")
        sys.exit(64)
    helper = Helper(sys.argv[1], credit, ProgramSlice(program_slice), len(args) <= 4 or args[4] != b"0")
    try:
        helper.run()
    except BrokenPipeError:
        helper.shutdown()


if __name__ == "__main__":
    main()
