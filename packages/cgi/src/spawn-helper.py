"""sluice CGI spawn helper: a small process that starts CGI programs for the Node
server with posix_spawn (vfork-style, so the cost does not grow with the server's
memory and the server's event loop never blocks on fork), reaps them, forwards their
stderr, and signals their process groups. Must never run a shell, and never read past
a request frame. spawn-helper.c is the same program in C (used when it could be built:
it costs less CPU per request); both speak this protocol.

Protocol. Per program the server connects to the Unix socket given as argv[1] once, or
twice when the program gets a request body, and sends one frame on each connection: a
4-byte big-endian length, then fields, each ending with a NUL byte:
  o, id, stdin (1 or 0), releases (ids, comma-separated), file, cwd, argc, argv..., env (NAME=value)...
  i, id                                      (only when stdin is 1)
The "o" (out) connection becomes the program's fd 1 and the "i" (in) connection its fd 0
(else /dev/null). Separate connections, so that a program leaving stdin unread (its close
then resets that connection) never disturbs the delivery of its output. The program's
fd 2 is a pipe the helper reads and forwards. One connection instead of three per bodiless
request: connections are most of what a spawn costs the server (bench/README.md).
On the helper's stdout, lines: "ready"; "p <id> <pid>" (started); "f <id> <ERRNO> <text>"
(could not start); "e <id> <n>" followed by n bytes the program wrote on stderr (every byte
written before exiting comes before the exit line); "x <id> <code>" (exited: an exit code,
or minus the signal number). On its stdin, lines: "k <id> <signal>" signals program id's
group; "r <id>" forgets it (releases also ride on the next "o" frame, which spares the
helper a wake-up per program). EOF on stdin: every running group is killed, reaped, and the
helper exits.
"""

import errno
import os
import selectors
import signal
import socket
import struct
import sys

MAX_FRAME = 4 * 1024 * 1024
# Signals Python sets up for itself that a CGI program must get back at their defaults.
DEFAULT_SIGNALS = [signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGCHLD, signal.SIGTERM]


class Helper:
    def __init__(self, path):
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
        self.frames = {}  # connection -> bytearray read so far
        self.waiting = {}  # id -> {role: (socket, frame)} until the program's connections arrived
        self.groups = {}  # id -> pid (process group id) until released
        self.stderr = {}  # id -> read end of the program's stderr pipe, until EOF or release
        self.devnull = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        self.running = {}  # pid -> id until reaped
        self.out = sys.stdout.buffer
        self.done = False

    def send(self, line, data=b""):
        self.out.write(line.encode() + b"\n" + data)
        self.out.flush()

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
            if need > MAX_FRAME:
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
        try:
            if fields.pop() != b"":
                raise ValueError("unterminated field")
            role = {b"o": "out", b"i": "in"}[fields[0]]
            ident = int(fields[1])
            spec = self.parse_spec(fields) if role == "out" else None
        except (ValueError, KeyError, IndexError):
            conn.close()
            return
        if role == "out":
            for released in spec["release"]:
                self.release(released)
        entry = self.waiting.setdefault(ident, {})
        if role in entry:
            del self.waiting[ident]
            conn.close()
            for other, _ in entry.values():
                other.close()
            return
        entry[role] = (conn, spec)
        if "out" not in entry:
            return
        wants_stdin = entry["out"][1]["stdin"]
        if wants_stdin and "in" not in entry:
            return
        del self.waiting[ident]
        if not wants_stdin and "in" in entry:
            for other, _ in entry.values():
                other.close()
            return
        self.spawn(ident, entry["in"][0] if wants_stdin else None, entry["out"][0], entry["out"][1])

    @staticmethod
    def parse_spec(fields):
        """The fields of an "o" frame (see the protocol above), as a dict."""
        argc = int(fields[6])
        if argc < 1 or 7 + argc > len(fields):
            raise ValueError("bad argc")
        env = {}
        for item in fields[7 + argc:]:
            name, _, value = item.partition(b"=")
            env[name] = value
        return {
            "stdin": fields[2] == b"1",
            "release": [int(r) for r in fields[3].split(b",") if r],
            "file": fields[4],
            "cwd": fields[5],
            "argv": fields[7:7 + argc],
            "env": env,
        }

    def drop(self, conn):
        self.selector.unregister(conn)
        del self.frames[conn]
        conn.close()

    def spawn(self, ident, stdin, stdout, spec):
        err_r = err_w = -1
        try:
            # O_NONBLOCK belongs to the open file, which the program shares: it must get blocking stdio.
            stdout.setblocking(True)
            if stdin is not None:
                stdin.setblocking(True)
            err_r, err_w = os.pipe()
            os.chdir(spec["cwd"])
            pid = os.posix_spawn(
                spec["file"],
                spec["argv"],
                spec["env"],
                file_actions=[
                    (os.POSIX_SPAWN_DUP2, self.devnull if stdin is None else stdin.fileno(), 0),
                    (os.POSIX_SPAWN_DUP2, stdout.fileno(), 1),
                    (os.POSIX_SPAWN_DUP2, err_w, 2),
                ],
                setpgroup=0,
                setsigdef=DEFAULT_SIGNALS,
                setsigmask=[],
            )
        except (OSError, KeyError, TypeError, ValueError) as error:
            name = errno.errorcode.get(error.errno or 0, "EIO") if isinstance(error, OSError) else "EINVAL"
            self.send(f"f {ident} {name} {str(error).replace(chr(10), ' ')}")
            if err_r >= 0:
                os.close(err_r)
        else:
            self.groups[ident] = pid
            self.running[pid] = ident
            os.set_blocking(err_r, False)
            self.stderr[ident] = err_r
            self.selector.register(err_r, selectors.EVENT_READ, lambda _key, ident=ident: self.read_stderr(ident))
            self.send(f"p {ident} {pid}")
        finally:
            if err_w >= 0:
                os.close(err_w)
            stdout.close()
            if stdin is not None:
                stdin.close()

    def read_stderr(self, ident):
        """Forwards what the program wrote on stderr; closes the pipe at EOF."""
        fd = self.stderr.get(ident)
        while fd is not None:
            try:
                data = os.read(fd, 65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data = b""
            if not data:
                self.close_stderr(ident)
                return
            self.send(f"e {ident} {len(data)}", data)

    def close_stderr(self, ident):
        fd = self.stderr.pop(ident, None)
        if fd is not None:
            self.selector.unregister(fd)
            os.close(fd)

    def reap(self, _key):
        try:
            while os.read(self.wake_r, 512):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            ident = self.running.pop(pid, None)
            if ident is not None:
                # What the program wrote on stderr before exiting is in the pipe now: forward it first.
                self.read_stderr(ident)
                self.send(f"x {ident} {os.waitstatus_to_exitcode(status)}")

    def control(self, _key):
        try:
            data = os.read(0, 65536)
        except (BlockingIOError, InterruptedError):
            return
        if not data:
            self.done = True
            return
        self.control_buffer += data
        *lines, self.control_buffer = self.control_buffer.split(b"\n")
        for line in lines:
            parts = line.split()
            if len(parts) == 3 and parts[0] == b"k":
                pgid = self.groups.get(int(parts[1]))
                if pgid is not None:
                    try:
                        os.killpg(pgid, int(parts[2]))
                    except OSError:
                        pass
            elif len(parts) == 2 and parts[0] == b"r":
                self.release(int(parts[1]))

    def release(self, ident):
        """The server is done with program `ident`: no kill will come for it."""
        self.groups.pop(ident, None)
        # The server gave up on a spawn before both connections arrived.
        for conn, _ in self.waiting.pop(ident, {}).values():
            conn.close()
        # A child the program left behind may hold stderr open; it is not forwarded any more.
        self.close_stderr(ident)

    def shutdown(self):
        for pgid in self.groups.values():
            try:
                os.killpg(pgid, signal.SIGKILL)
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


def main():
    helper = Helper(sys.argv[1])
    try:
        helper.run()
    except BrokenPipeError:
        helper.shutdown()


if __name__ == "__main__":
    main()
