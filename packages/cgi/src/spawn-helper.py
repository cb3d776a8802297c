"""sluice CGI spawn helper: a small process that starts CGI programs for the Node
server with posix_spawn (vfork-style, so the cost does not grow with the server's
memory and the server's event loop never blocks on fork), reaps them, and signals
their process groups. Must never run a shell, and never read past a request frame.

Protocol. The server connects three times per program to the Unix socket given as argv[1]
and sends one frame on each: a 4-byte big-endian length, then JSON.
  {"id": N, "role": "out"}, {"id": N, "role": "err"},
  {"id": N, "role": "in", "file", "argv", "cwd", "env"}
They become the program's fd 0 ("in"), 1 ("out") and 2 ("err"). Separate connections,
so that a program leaving stdin unread (its close then resets that connection) never
disturbs the delivery of its output.
On the helper's stdout (JSON lines): {"ready": true}, {"id", "pid"}, {"id", "error", "message"},
{"id", "exit"} (an exit code, or minus the signal number). On its stdin (JSON lines):
{"kill": N, "sig": S} signals program N's group, {"release": N} forgets it.
EOF on stdin: every running group is killed, reaped, and the helper exits.
"""

import errno
import json
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
        self.waiting = {}  # id -> {role: (socket, frame)} until all three roles arrived
        self.groups = {}  # id -> pid (process group id) until released
        self.running = {}  # pid -> id until reaped
        self.out = sys.stdout.buffer
        self.done = False

    def send(self, message):
        self.out.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")
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
        need = 4 if len(buf) < 4 else 4 + struct.unpack(">I", buf[:4])[0]
        if need > MAX_FRAME:
            self.drop(conn)
            return
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
        if len(buf) < 4 or len(buf) < 4 + struct.unpack(">I", buf[:4])[0]:
            return
        self.selector.unregister(conn)
        del self.frames[conn]
        try:
            spec = json.loads(bytes(buf[4:]))
            ident = int(spec["id"])
            role = spec["role"]
        except (ValueError, KeyError, TypeError):
            conn.close()
            return
        entry = self.waiting.setdefault(ident, {})
        entry[role] = (conn, spec)
        if len(entry) == 3 and "in" in entry and "out" in entry and "err" in entry:
            del self.waiting[ident]
            self.spawn(ident, [entry[role][0] for role in ("in", "out", "err")], entry["in"][1])
        elif len(entry) >= 3:
            del self.waiting[ident]
            for conn, _ in entry.values():
                conn.close()

    def drop(self, conn):
        self.selector.unregister(conn)
        del self.frames[conn]
        conn.close()

    def spawn(self, ident, conns, spec):
        try:
            # O_NONBLOCK belongs to the open file, which the program shares: it must get blocking stdio.
            for conn in conns:
                conn.setblocking(True)
            os.chdir(spec["cwd"])
            pid = os.posix_spawn(
                spec["file"],
                spec["argv"],
                spec["env"],
                file_actions=[(os.POSIX_SPAWN_DUP2, conn.fileno(), fd) for fd, conn in enumerate(conns)],
                setpgroup=0,
                setsigdef=DEFAULT_SIGNALS,
                setsigmask=[],
            )
        except OSError as error:
            name = errno.errorcode.get(error.errno or 0, "EIO")
            self.send({"id": ident, "error": name, "message": str(error)})
        except (KeyError, TypeError, ValueError) as error:
            self.send({"id": ident, "error": "EINVAL", "message": str(error)})
        else:
            self.groups[ident] = pid
            self.running[pid] = ident
            self.send({"id": ident, "pid": pid})
        finally:
            for conn in conns:
                conn.close()

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
                self.send({"id": ident, "exit": os.waitstatus_to_exitcode(status)})

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
            if not line:
                continue
            message = json.loads(line)
            if "kill" in message:
                pgid = self.groups.get(int(message["kill"]))
                if pgid is not None:
                    try:
                        os.killpg(pgid, int(message["sig"]))
                    except OSError:
                        pass
            elif "release" in message:
                self.groups.pop(int(message["release"]), None)

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
        self.send({"ready": True})
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
