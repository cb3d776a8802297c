"""
sluice WSGI worker: imports one PEP 3333 application and serves the requests the
sluice Node process sends over fd 3 (a socket pair), in the binary framing that
packages/wsgi-bridge/README.md documents. Standard library only, Python >= 3.9.
Must never write protocol bytes to stdout or stderr: those belong to the application
and go to the server's log, line by line.
"""

import collections
import importlib
import os
import queue
import select
import signal
import stat
import struct
import sys
import threading
import time
import traceback

try:
    # signal.getsignal() converts the handler to an enum member and fails for a function, at
    # ~4 us per call; the raw one costs 0.05 us, and a batch asks at least once.
    from _signal import getsignal as handler_of
except ImportError:
    handler_of = signal.getsignal

CHANNEL_FD = 3
HEADER = struct.Struct('>IBI')  # payload length, frame type, request id
HEADER_SIZE = HEADER.size
HEADED = struct.Struct('>IBII')  # a frame header and the u32 head length of HEAD, FULL, FILE payloads
U32 = struct.Struct('>I')
FILE_INFO = struct.Struct('>IQQ')  # fd, offset, length
# 64 KiB: os.read() allocates its full size first; at 256 KiB that is an mmap per read (~0.35 ms).
READ_SIZE = 64 * 1024
# Response bytes that may be in flight before Node grants more credit.
WINDOW_BYTES = 256 * 1024
FILE_BLOCK_BYTES = 64 * 1024
# Node refuses a frame over 64 MiB (a bigger one means a broken worker) and kills the worker.
# So no frame may grow with what the application hands over: a body chunk larger than
# PIECE_BYTES leaves as several frames, each under flow control (an application yielding one
# huge bytes object is served, not killed with the requests queued behind it), and heads,
# tracebacks and log messages are bounded by MAX_TEXT_BYTES.
PIECE_BYTES = 1024 * 1024
MAX_TEXT_BYTES = 1024 * 1024
# Single-threaded workers hold the frames they send and write them together (see Channel),
# each for at most this long; the wsgi() option responseBatchMs sets it (0: write at once).
RESPONSE_BATCH_SECONDS = 0.001
BATCH_ENV = 'SLUICE_WSGI_RESPONSE_BATCH_MS'
# Held frames are written as soon as they reach this size: the write's cost is shared enough.
BATCH_BYTES = 64 * 1024
# Frames are held only while requests take at least this long on average (a moving average
# over about 8 requests): a faster application is done before Node gets the CPU back, so its
# writes wake nobody, and the timer's two system calls per batch would cost more than they save.
HOLD_FROM_SECONDS = 30e-6

CONTROL_FD = 4
# Node -> worker
REQUEST, BODY, BODY_END, CREDIT, ABORT, FILE_ACK = 1, 2, 3, 4, 5, 6
# worker -> Node
READY, STARTUP_FAILED, HEAD, FULL, DATA, END, PULL, ERROR, FAILED, FILE, LOG = range(16, 27)

# REQUEST flags
HAS_BODY = 1
LOG_WARN, LOG_ERROR = 1, 2


class ClientDisconnected(OSError):
    """The HTTP client went away: reading the body or writing the response is pointless."""


class Channel:
    """Frames over the socket on fd 3. One reader at a time; writes are whole frames.

    Batching (single-threaded workers only): while requests take HOLD_FROM_SECONDS or more,
    `send` holds frames and writes them together with one write when the worker is about to
    block reading the channel, because each write wakes Node, which then preempts Python on a
    shared core (a faster application wakes nobody: Node has not slept yet). A held frame never waits longer
    than `batch_seconds`, even while the application runs a long request: the first held
    frame arms the real-time timer, whose SIGALRM handler writes the batch. The handler runs
    in the main thread between bytecodes, so it can interrupt `send` or `flush` anywhere:
    `pending` is one list for the channel's life (appends are atomic, a flush clears what it
    wrote), and `flushing` keeps the handler out of a flush already under way.
    SIGALRM belongs to the application if it wants it: when its handler is not ours, frames
    are written at once from then on and the timer is never touched again.
    """

    def __init__(self, fd, threaded):
        self.fd = fd
        self.buf = b''
        self.lock = threading.Lock() if threaded else None
        self.pending = []
        self.pending_bytes = 0
        self.batch_seconds = 0.0
        # Whether frames are held now (batching on and requests slow enough: see serve_inline).
        self.holding = False
        self.armed = False
        self.flushing = False
        self.alarm_handler = self.on_alarm  # the one bound method installed, to recognise it

    def start_batching(self, seconds):
        """Holds frames up to `seconds` from now on, unless the application uses SIGALRM or the real-time timer."""
        if seconds <= 0 or self.lock is not None:
            return
        if signal.getsignal(signal.SIGALRM) is not signal.SIG_DFL or signal.getitimer(signal.ITIMER_REAL) != (0.0, 0.0):
            return
        signal.signal(signal.SIGALRM, self.alarm_handler)
        self.batch_seconds = seconds

    def send(self, ftype, rid, payload=b''):
        self.put(HEADER.pack(len(payload), ftype, rid) + payload)

    def send_headed(self, ftype, rid, head, rest=b''):
        """Sends a HEAD, FULL or FILE frame: the head's length, the head, then `rest`."""
        self.put(HEADED.pack(4 + len(head) + len(rest), ftype, rid, len(head)) + head + rest)

    def put(self, data):
        """Writes one whole frame, or holds it when batching."""
        if self.holding and self.batch_seconds:
            self.pending.append(data)
            self.pending_bytes += len(data)
            if self.pending_bytes >= BATCH_BYTES:
                self.flush()
            elif not self.armed:
                if handler_of(signal.SIGALRM) is self.alarm_handler:
                    self.armed = True
                    signal.setitimer(signal.ITIMER_REAL, self.batch_seconds)
                else:
                    self.batch_seconds = 0.0  # the application took SIGALRM: write at once from now on
                    self.flush()
        elif self.lock is None:
            if self.pending:
                # Held frames from before holding stopped go first, in one write with this one.
                self.pending.append(data)
                self.flush()
            else:
                self._write(data)
        else:
            with self.lock:
                self._write(data)

    def flush(self):
        """Writes the held frames, if any (a no-op when not batching)."""
        if not self.pending:
            return
        self.flushing = True
        try:
            pending = self.pending
            count = len(pending)
            if count:
                data = pending[0] if count == 1 else b''.join(pending[:count])
                self._write(data)
                del pending[:count]
                self.pending_bytes = 0
        finally:
            self.flushing = False
        if self.armed:
            self.armed = False
            if handler_of(signal.SIGALRM) is self.alarm_handler:
                signal.setitimer(signal.ITIMER_REAL, 0)
            else:
                self.batch_seconds = 0.0

    def on_alarm(self, signum, frame):
        self.armed = False
        if self.flushing:
            return  # the flush under way writes everything held
        try:
            self.flush()
        except OSError:
            # Not raised into whatever application code was interrupted: the frames stay held
            # and the main thread's next flush meets the same error, where it is handled.
            pass

    def _write(self, data):
        written = os.write(self.fd, data)
        if written < len(data):
            view = memoryview(data)
            while written < len(data):
                written += os.write(self.fd, view[written:])

    def read_frame(self):
        buf = self.buf
        while True:
            if len(buf) >= HEADER_SIZE:
                length, ftype, rid = HEADER.unpack_from(buf)
                end = HEADER_SIZE + length
                if len(buf) >= end:
                    self.buf = buf[end:]
                    return ftype, rid, buf[HEADER_SIZE:end]
            if self.pending:
                self.flush()  # about to wait for Node: nothing may stay held meanwhile
            data = os.read(self.fd, READ_SIZE)
            if not data:
                raise EOFError
            buf = buf + data if buf else data
            self.buf = buf

    def readable_now(self):
        """True when a frame can be read without waiting long (Node writes frames whole)."""
        return len(self.buf) >= HEADER_SIZE or bool(select.select([self.fd], [], [], 0)[0])


class Canceller:
    """Takes back requests Node sent ahead, before they start. Node writes their ids on
    fd 4 and sends SIGWINCH (ignored by default, so harmless before this is installed);
    the handler runs in the main thread between bytecodes, even while the application
    runs, and answers on fd 4 with the ids it took back. Ids grow in the order requests
    run, so an id above the current one has not started."""

    def __init__(self):
        self.current = 0
        self.cancelled = set()
        self.pending = b''
        os.set_blocking(CONTROL_FD, False)
        signal.signal(signal.SIGWINCH, self.on_signal)

    def on_signal(self, signum, frame):
        try:
            data = self.pending + os.read(CONTROL_FD, 4096)
        except BlockingIOError:
            return
        whole = len(data) - len(data) % 4
        self.pending = data[whole:]
        taken = []
        for (rid,) in U32.iter_unpack(data[:whole]):
            if rid > self.current:
                self.cancelled.add(rid)
                taken.append(U32.pack(rid))
        if taken:
            os.set_blocking(CONTROL_FD, True)
            try:
                os.write(CONTROL_FD, b''.join(taken))
            finally:
                os.set_blocking(CONTROL_FD, False)


class InlineSlot:
    """Frames for one request when the worker has a single thread: read them inline."""

    __slots__ = ('channel', 'rid', 'backlog')

    def __init__(self, channel, rid, backlog):
        self.channel = channel
        self.rid = rid
        self.backlog = backlog

    def get(self):
        channel = self.channel
        while True:
            ftype, rid, payload = channel.read_frame()
            if ftype == REQUEST:
                self.backlog.append((rid, payload))
            elif rid == self.rid:
                return ftype, payload
            # Anything else is a late frame for a finished request.

    def poll(self):
        return self.get() if self.channel.readable_now() else None


class QueueSlot:
    """Frames for one request in a threaded worker: the reader thread queues them."""

    __slots__ = ('rid', 'frames')

    def __init__(self, rid):
        self.rid = rid
        self.frames = queue.SimpleQueue()

    def get(self):
        return self.frames.get()

    def poll(self):
        try:
            return self.frames.get_nowait()
        except queue.Empty:
            return None


class EmptyInput:
    """`wsgi.input` of a request without a body."""

    def read(self, size=-1):
        return b''

    def readline(self, size=-1):
        return b''

    def readlines(self, hint=-1):
        return []

    def __iter__(self):
        return iter(())


EMPTY_INPUT = EmptyInput()


class Input:
    """`wsgi.input`: pulls the request body from Node one chunk at a time, on demand."""

    __slots__ = ('channel', 'slot', 'rid', 'buf', 'eof')

    def __init__(self, channel, slot, rid):
        self.channel = channel
        self.slot = slot
        self.rid = rid
        self.buf = bytearray()
        self.eof = False

    def _fill(self, want):
        self.channel.send(PULL, self.rid, U32.pack(want))
        self.channel.flush()  # Node answers it: it may not wait in the batch
        while True:
            ftype, payload = self.slot.get()
            if ftype == BODY:
                self.buf += payload
                return
            if ftype == BODY_END:
                self.eof = True
                return
            if ftype == ABORT:
                self.eof = True
                raise ClientDisconnected('client disconnected while sending the request body')

    def read(self, size=-1):
        if size is None or size < 0:
            while not self.eof:
                self._fill(READ_SIZE)
            data = bytes(self.buf)
            self.buf.clear()
            return data
        while len(self.buf) < size and not self.eof:
            self._fill(size - len(self.buf))
        data = bytes(self.buf[:size])
        del self.buf[:size]
        return data

    def readline(self, size=-1):
        start = 0
        while True:
            newline = self.buf.find(b'\n', start)
            if newline >= 0:
                end = newline + 1
                break
            if size is not None and 0 <= size <= len(self.buf):
                end = size
                break
            if self.eof:
                end = len(self.buf)
                break
            start = len(self.buf)
            self._fill(READ_SIZE)
        if size is not None and 0 <= size < end:
            end = size
        data = bytes(self.buf[:end])
        del self.buf[:end]
        return data

    def readlines(self, hint=-1):
        lines = []
        total = 0
        while True:
            line = self.readline()
            if not line:
                return lines
            lines.append(line)
            total += len(line)
            if hint is not None and 0 < hint <= total:
                return lines

    def __iter__(self):
        while True:
            line = self.readline()
            if not line:
                return
            yield line


class FileWrapper:
    """`wsgi.file_wrapper`: Node streams the file itself when it is a regular file."""

    def __init__(self, filelike, blksize=FILE_BLOCK_BYTES):
        self.filelike = filelike
        self.blksize = blksize
        if hasattr(filelike, 'close'):
            self.close = filelike.close

    def __iter__(self):
        read = self.filelike.read
        while True:
            block = read(self.blksize)
            if not block:
                return
            yield block


def file_span(wrapper):
    """(fd, offset, size) when the wrapped object is a regular file, else None."""
    filelike = wrapper.filelike
    try:
        fd = filelike.fileno()
        info = os.fstat(fd)
        offset = filelike.tell()
    except (AttributeError, OSError, ValueError):
        return None
    if not stat.S_ISREG(info.st_mode) or offset > info.st_size:
        return None
    return fd, offset, info.st_size - offset


# Heads already built and checked, by (status, *headers): an application sends few distinct
# ones, and building one costs ~1.5 us of the ~6 us a plain hello takes. Bounded in entries and
# size; once full it takes no more, so heads that vary (cookies, ETags) cost one lookup each.
HEAD_CACHE_ENTRIES = 256
HEAD_CACHE_MAX_BYTES = 512
head_cache = {}


class Response:
    """start_response, write() and the sending of one response (PEP 3333 rules)."""

    __slots__ = ('channel', 'slot', 'rid', 'status', 'headers', 'head_sent', 'unacked', 'declared', 'sent')

    def __init__(self, channel, slot, rid):
        self.channel = channel
        self.slot = slot
        self.rid = rid
        self.status = None
        self.headers = None
        self.head_sent = False
        self.unacked = 0
        self.declared = None
        self.sent = 0

    def start_response(self, status, headers, exc_info=None):
        if exc_info is not None:
            try:
                if self.head_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError('start_response() called a second time without exc_info')
        if type(status) is not str or type(headers) is not list:
            raise TypeError('start_response() needs a str status and a list of headers')
        self.status = status
        self.headers = headers
        return self.write

    def head(self):
        if self.status is None:
            raise AssertionError('the application produced a body before calling start_response()')
        try:
            key = (self.status, *self.headers)
            cached = head_cache.get(key)
        except TypeError:  # an unhashable header (a list instead of a tuple): built each time
            key = cached = None
        if cached is not None:
            self.declared = cached[1]
            return cached[0]
        parts = [self.status]
        for name, value in self.headers:
            parts.append(name)
            parts.append(value)
            if len(name) == 14 and name.lower() == 'content-length':
                self.declared = int(value)
        text = '\0'.join(parts)
        if text.count('\0') != len(parts) - 1:
            raise ValueError('NUL character in the status or a header')
        if len(text) > MAX_TEXT_BYTES:
            raise ValueError('response head of %d bytes (at most %d)' % (len(text), MAX_TEXT_BYTES))
        head = text.encode('latin-1')
        if key is not None and len(head) <= HEAD_CACHE_MAX_BYTES and len(head_cache) < HEAD_CACHE_ENTRIES:
            head_cache[key] = (head, self.declared)
        return head

    def write(self, data):
        if type(data) is not bytes:
            raise TypeError('write() needs bytes, got %s' % type(data).__name__)
        if data:
            self.send_chunk(data, False)

    def send_chunk(self, data, last):
        """Sends a body chunk; `last` when the body is known to be complete with it."""
        if len(data) > PIECE_BYTES:
            return self.send_pieces(data, last)
        if self.declared is not None and self.head_sent:
            data = self.clip(data)
        if not self.head_sent:
            head = self.head()
            self.head_sent = True
            if self.declared is not None:
                data = self.clip(data)
                last = last or self.sent >= self.declared
            self.channel.send_headed(FULL if last else HEAD, self.rid, head, data)
            return last
        if self.declared is not None and self.sent >= self.declared:
            last = True
        self.channel.send(END if last else DATA, self.rid, data)
        if last:
            return True
        self.unacked += len(data)
        if self.unacked > WINDOW_BYTES:
            self.channel.flush()  # Node grants credit for what it received
        while self.unacked > WINDOW_BYTES:
            self.handle(self.slot.get())
        frame = self.slot.poll()
        if frame is not None:
            self.handle(frame)
        return False

    def send_pieces(self, data, last):
        """Sends a chunk over PIECE_BYTES as pieces (views, not copies); True when the body is complete."""
        if not self.head_sent:
            self.head()  # sets `declared`, so that the excess below is known before any piece leaves
        view = memoryview(data)
        size = len(view)
        if self.declared is not None and size > self.declared - self.sent:
            self.excess()
            size = max(self.declared - self.sent, 0)
            last = True
        if size == 0:
            return self.send_chunk(b'', last)
        start = 0
        while start < size:
            end = min(start + PIECE_BYTES, size)
            if self.send_chunk(view[start:end], last and end == size):
                return True
            start = end
        return False

    def clip(self, data):
        room = self.declared - self.sent
        if len(data) > room:
            self.excess()
            data = data[:max(room, 0)]
        self.sent += len(data)
        return data

    def excess(self):
        self.channel.send(LOG, self.rid, bytes([LOG_ERROR]) + (
            'response body longer than its Content-Length (%d): excess dropped' % self.declared).encode())

    def handle(self, frame):
        ftype, payload = frame
        if ftype == CREDIT:
            self.unacked -= U32.unpack(payload)[0]
        elif ftype == ABORT:
            raise ClientDisconnected('client disconnected')

    def send_file(self, wrapper):
        """Offers the file to Node, which streams it itself; True when Node took it."""
        span = file_span(wrapper)
        if span is None:
            return False
        fd, offset, size = span
        head = self.head()
        if self.declared is not None:
            size = min(size, self.declared)
        self.channel.send_headed(FILE, self.rid, head, FILE_INFO.pack(fd, offset, size))
        self.channel.flush()  # Node answers it: it may not wait in the batch
        while True:
            ftype, payload = self.slot.get()
            if ftype == FILE_ACK:
                if payload[0] != 1:
                    return False
                self.head_sent = True
                return True
            if ftype == ABORT:
                raise ClientDisconnected('client disconnected')

    def run(self, result):
        """Sends the iterable's body; the terminal frame is always sent, close() always called."""
        terminal = False
        try:
            if type(result) is list and len(result) == 1 and not self.head_sent:
                body = result[0]
                if type(body) is not bytes:
                    raise TypeError('the application yielded %s, not bytes' % type(body).__name__)
                terminal = self.send_chunk(body, True)
            elif type(result) is FileWrapper and not self.head_sent and self.send_file(result):
                self.channel.send(END, self.rid)
                terminal = True
            else:
                chunks = iter(result)
                for chunk in chunks:
                    if type(chunk) is not bytes:
                        raise TypeError('the application yielded %s, not bytes' % type(chunk).__name__)
                    if chunk and self.send_chunk(chunk, False):
                        terminal = True
                        # Content-Length reached: one more look tells a too-long body (logged)
                        # from a finished one, without running an endless iterable to its end.
                        if any(True for _ in zip(range(1), filter(None, chunks))):
                            self.excess()
                        break
                if not terminal:
                    if self.head_sent:
                        self.channel.send(END, self.rid)
                    else:
                        head = self.head()
                        self.channel.send_headed(FULL, self.rid, head)
                    terminal = True
        except ClientDisconnected:
            if not terminal:
                self.channel.send(END, self.rid)
                terminal = True
        except BaseException:
            self.fail()
            terminal = True
        finally:
            close = getattr(result, 'close', None)
            if close is not None:
                try:
                    close()
                except BaseException:
                    self.channel.send(LOG, self.rid, bytes([LOG_ERROR]) + text_payload(
                        'exception in the iterable\'s close():\n' + traceback.format_exc()))
            if not terminal:
                self.channel.send(END, self.rid)

    def fail(self):
        """The application raised: 500 if nothing was sent yet, else the connection is aborted."""
        self.channel.send(FAILED if self.head_sent else ERROR, self.rid, text_payload(traceback.format_exc()))


def text_payload(text):
    """A traceback or log message as frame bytes, its middle cut out if it is over MAX_TEXT_BYTES."""
    data = text.encode('utf-8', 'replace')
    if len(data) <= MAX_TEXT_BYTES:
        return data
    half = MAX_TEXT_BYTES // 2
    return data[:half] + b'\n[... %d bytes cut ...]\n' % (len(data) - 2 * half) + data[-half:]


def make_base_environ(threads, multiprocess):
    return {
        'wsgi.version': (1, 0),
        'wsgi.errors': sys.stderr,
        'wsgi.multithread': threads > 1,
        'wsgi.multiprocess': multiprocess,
        'wsgi.run_once': False,
        'wsgi.input_terminated': True,
        'wsgi.file_wrapper': FileWrapper,
        'SERVER_SOFTWARE': 'sluice',
    }


def handle_request(app, base, channel, slot, rid, payload):
    """Builds the environ from the REQUEST frame (see README) and runs the application."""
    text = payload.decode('latin-1')
    path_end = 5 + U32.unpack_from(payload, 1)[0]
    fields = iter(text[path_end:].split('\0'))
    environ = base.copy()
    environ.update(zip(fields, fields))
    environ['PATH_INFO'] = text[5:path_end]
    environ['wsgi.input'] = Input(channel, slot, rid) if payload[0] & HAS_BODY else EMPTY_INPUT
    response = Response(channel, slot, rid)
    try:
        result = app(environ, response.start_response)
    except BaseException:
        response.fail()
        return
    response.run(result)


def serve_inline(app, base, channel, batch_seconds):
    backlog = collections.deque()
    canceller = Canceller()
    channel.start_batching(batch_seconds)
    cancelled = canceller.cancelled
    perf_counter = time.perf_counter
    average = 0.0
    while True:
        if backlog:
            rid, payload = backlog.popleft()
        else:
            ftype, rid, payload = channel.read_frame()
            if ftype != REQUEST:
                continue
        # Mark it started before looking at the cancelled set: the signal handler may run between the two.
        canceller.current = rid
        if rid in cancelled:
            cancelled.discard(rid)
            continue
        started = perf_counter()
        handle_request(app, base, channel, InlineSlot(channel, rid, backlog), rid, payload)
        average += (perf_counter() - started - average) * 0.125
        channel.holding = average >= HOLD_FROM_SECONDS


def serve_threaded(app, base, channel, threads):
    # Frames are written at once here (no batching): the reader thread blocks in os.read while
    # other threads send, so "flush before blocking" has no single place, and SIGALRM handlers
    # run only in the main thread, which is the reader.
    slots = {}
    work = queue.SimpleQueue()

    def run_requests():
        while True:
            rid, payload = work.get()
            try:
                handle_request(app, base, channel, slots[rid], rid, payload)
            finally:
                del slots[rid]

    for _ in range(threads):
        threading.Thread(target=run_requests, daemon=True).start()
    while True:
        ftype, rid, payload = channel.read_frame()
        if ftype == REQUEST:
            slots[rid] = QueueSlot(rid)
            work.put((rid, payload))
        else:
            slot = slots.get(rid)
            if slot is not None:
                slot.frames.put((ftype, payload))


def load(spec):
    """Imports `module:callable` (the callable may be dotted, or `factory()` to call it)."""
    module_name, _, attr = spec.partition(':')
    target = importlib.import_module(module_name)
    call = attr.endswith('()')
    for part in (attr[:-2] if call else attr or 'application').split('.'):
        target = getattr(target, part)
    if call:
        target = target()
    if not callable(target):
        raise TypeError('%s is not callable (it is %s)' % (spec, type(target).__name__))
    return target


def main():
    spec, threads, multiprocess = sys.argv[1], int(sys.argv[2]), sys.argv[3] == '1'
    # Node decides when workers stop; Ctrl-C in a terminal must not kill them first.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Programs the application runs (subprocess with close_fds=False, os.exec*) must not hold
    # the channel open: its closing is how Node learns that this worker is gone.
    os.set_inheritable(CHANNEL_FD, False)
    os.set_inheritable(CONTROL_FD, False)
    sys.path.insert(0, os.getcwd())
    # Taken out of the environment before the application can see it.
    batch_ms = os.environ.pop(BATCH_ENV, None)
    batch_seconds = RESPONSE_BATCH_SECONDS if batch_ms is None else float(batch_ms) / 1000
    channel = Channel(CHANNEL_FD, threads > 1)
    try:
        app = load(spec)
    except BaseException:
        channel.send(STARTUP_FAILED, 0, text_payload(traceback.format_exc()))
        sys.exit(3)
    channel.send(READY, 0, ('%d %s' % (os.getpid(), sys.version.split()[0])).encode())
    base = make_base_environ(threads, multiprocess)
    try:
        if threads > 1:
            serve_threaded(app, base, channel, threads)
        else:
            serve_inline(app, base, channel, batch_seconds)
    except (EOFError, BrokenPipeError, ConnectionResetError):
        pass


if __name__ == '__main__':
    main()
