"""
sluice ASGI worker: imports one ASGI 3.0 application, runs its lifespan, and serves the
requests the sluice Node process sends over fd 3 (a socket pair) on one asyncio event
loop (uvloop when importable), many at once, in the framing that
packages/python-workers/README.md documents. Standard library only, Python >= 3.9.
Must never write protocol bytes to stdout or stderr: those belong to the application
and go to the server's log, line by line.
"""

import asyncio
import collections
import importlib
import inspect
import os
import re
import signal
import socket
import struct
import sys
import traceback
from urllib.parse import unquote

CHANNEL_FD = 3
HEADER = struct.Struct('>IBI')  # payload length, frame type, request id
HEADER_SIZE = HEADER.size
U32 = struct.Struct('>I')
# Response bytes of one request that may be in flight before Node grants more credit.
WINDOW_BYTES = 256 * 1024
# Node refuses a frame over 64 MiB: a larger body chunk leaves as several frames, each under
# flow control, and heads, tracebacks and log messages are bounded.
PIECE_BYTES = 1024 * 1024
MAX_TEXT_BYTES = 1024 * 1024
# How long the lifespan shutdown may take once Node closed the channel.
SHUTDOWN_TIMEOUT_S = 10

# Node -> worker
REQUEST, BODY, BODY_END, CREDIT, ABORT = 1, 2, 3, 4, 5
WS_TEXT_IN, WS_BYTES_IN, WS_CLOSED = 7, 8, 9
# worker -> Node
READY, STARTUP_FAILED, HEAD, FULL, DATA, END, PULL, ERROR, FAILED = range(16, 25)
LOG = 26
WS_ACCEPT, WS_TEXT_OUT, WS_BYTES_OUT, WS_CLOSE, WS_CREDIT = range(27, 32)
LOG_WARN, LOG_ERROR = 1, 2
# REQUEST flags
HAS_BODY, WEBSOCKET = 1, 2
# WebSocket messages sent to Node and not yet written to the client; past it send() waits.
WS_WINDOW_MESSAGES = 16
U16 = struct.Struct('>H')
TOKEN_RE = re.compile(r'^[!#$%&\'*+\-.^_`|~0-9A-Za-z]+$')
# Headers the WebSocket handshake owns: an application's accept may not set them.
WS_OWN_HEADERS = frozenset((b'upgrade', b'connection', b'sec-websocket-accept', b'sec-websocket-protocol',
                            b'sec-websocket-extensions', b'content-length', b'transfer-encoding'))

DISCONNECT = {'type': 'http.disconnect'}


def text_payload(text):
    """A traceback or log message as frame bytes, its middle cut out if it is over MAX_TEXT_BYTES."""
    data = text.encode('utf-8', 'replace')
    if len(data) <= MAX_TEXT_BYTES:
        return data
    half = MAX_TEXT_BYTES // 2
    return data[:half] + b'\n[... %d bytes cut ...]\n' % (len(data) - 2 * half) + data[-half:]


class Channel(asyncio.Protocol):
    """Frames over the socket on fd 3. Frames written in one loop iteration leave in one write."""

    def __init__(self, worker):
        self.worker = worker
        self.transport = None
        self.buf = b''
        self.out = []
        self.flush_scheduled = False
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.transport = transport

    def send(self, ftype, rid, payload=b''):
        self.out.append(HEADER.pack(len(payload), ftype, rid))
        if payload:
            self.out.append(payload)
        if not self.flush_scheduled:
            self.flush_scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self):
        self.flush_scheduled = False
        out, self.out = self.out, []
        if out and not self.transport.is_closing():
            self.transport.write(b''.join(out))

    def data_received(self, data):
        buf = self.buf + data if self.buf else data
        at = 0
        size = len(buf)
        dispatch = self.worker.on_frame
        while size - at >= HEADER_SIZE:
            length, ftype, rid = HEADER.unpack_from(buf, at)
            end = at + HEADER_SIZE + length
            if end > size:
                break
            dispatch(ftype, rid, buf[at + HEADER_SIZE:end])
            at = end
        self.buf = buf[at:] if at < size else b''

    def eof_received(self):
        if not self.closed.done():
            self.closed.set_result(None)
        return False

    def connection_lost(self, exc):
        if not self.closed.done():
            self.closed.set_result(None)


class HttpCycle:
    """One HTTP request: the ASGI `receive` and `send` of its application call."""

    __slots__ = ('worker', 'channel', 'rid', 'scope', 'has_body', 'chunks', 'body_end', 'pulling', 'request_done',
                 'disconnected', 'started', 'status', 'headers', 'head_sent', 'complete', 'unacked', 'waiters')

    def __init__(self, worker, rid, scope, has_body):
        self.worker = worker
        self.channel = worker.channel
        self.rid = rid
        self.scope = scope
        self.has_body = has_body
        self.chunks = collections.deque()
        self.body_end = False
        self.pulling = False
        self.request_done = False
        self.disconnected = False
        self.started = False
        self.status = 200
        self.headers = ()
        self.head_sent = False
        self.complete = False
        self.unacked = 0
        self.waiters = []

    # ---- events from Node -------------------------------------------------------------

    def wake(self):
        waiters, self.waiters = self.waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait(self):
        waiter = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        await waiter

    def on_body(self, data):
        self.pulling = False
        self.chunks.append(data)
        self.wake()

    def on_body_end(self):
        self.pulling = False
        self.body_end = True
        self.wake()

    def on_credit(self, count):
        self.unacked -= count
        self.wake()

    def on_abort(self):
        self.disconnected = True
        self.wake()

    # ---- the application's side ---------------------------------------------------------

    async def receive(self):
        if self.disconnected:
            return DISCONNECT
        if not self.request_done:
            if not self.has_body:
                self.request_done = True
                return {'type': 'http.request', 'body': b'', 'more_body': False}
            while not self.chunks and not self.body_end and not self.disconnected:
                if not self.pulling:
                    self.pulling = True
                    self.channel.send(PULL, self.rid, U32.pack(65536))
                await self.wait()
            if self.disconnected:
                return DISCONNECT
            if self.chunks:
                body = self.chunks.popleft()
                more = bool(self.chunks) or not self.body_end
                if not more:
                    self.request_done = True
                return {'type': 'http.request', 'body': body, 'more_body': more}
            self.request_done = True
            return {'type': 'http.request', 'body': b'', 'more_body': False}
        # The body is read: the next event is the end of the connection (or of the response).
        while not self.disconnected and not self.complete:
            await self.wait()
        return DISCONNECT

    async def send(self, message):
        kind = message['type']
        if kind == 'http.response.start':
            if self.started:
                raise RuntimeError('ASGI: http.response.start sent twice')
            status = message['status']
            if not isinstance(status, int):
                raise TypeError('ASGI: the status must be an int, got %r' % (status,))
            self.status = status
            self.headers = message.get('headers', ())
            self.started = True
            return
        if kind == 'http.response.body':
            if not self.started:
                raise RuntimeError('ASGI: http.response.body sent before http.response.start')
            if self.complete:
                raise RuntimeError('ASGI: http.response.body sent after the response completed')
            if self.disconnected:
                return
            body = message.get('body', b'')
            more = message.get('more_body', False)
            if not isinstance(body, (bytes, bytearray, memoryview)):
                raise TypeError('ASGI: the body must be bytes, got %s' % type(body).__name__)
            await self.write_body(bytes(body), more)
            return
        raise RuntimeError('ASGI: unexpected message %r on an http connection' % (kind,))

    def head(self):
        parts = [str(self.status)]
        for name, value in self.headers:
            parts.append(bytes(name).decode('latin-1'))
            parts.append(bytes(value).decode('latin-1'))
        data = '\0'.join(parts).encode('latin-1')
        if len(data) > MAX_TEXT_BYTES:
            raise ValueError('ASGI: response head of %d bytes' % len(data))
        return U32.pack(len(data)) + data

    async def write_body(self, body, more):
        at = 0
        while True:
            piece = body[at:at + PIECE_BYTES]
            at += len(piece)
            last = at >= len(body)
            done = last and not more
            if not self.head_sent:
                self.head_sent = True
                self.channel.send(FULL if done else HEAD, self.rid, self.head() + piece)
            else:
                self.channel.send(END if done else DATA, self.rid, piece)
            if done:
                self.finish()
                return
            self.unacked += len(piece)
            while self.unacked >= WINDOW_BYTES and not self.disconnected:
                await self.wait()
            if self.disconnected or last:
                return

    def finish(self):
        self.complete = True
        self.worker.requests.pop(self.rid, None)
        self.wake()

    async def run(self, app):
        worker = self.worker
        try:
            await app(self.scope, self.receive, self.send)
        except BaseException as error:
            text = traceback.format_exc()
            if self.complete:
                worker.log(LOG_ERROR, 'ASGI application raised after its response:\n' + text, self.rid)
            elif self.disconnected:
                self.finish_quietly()
            elif not self.head_sent:
                self.channel.send(ERROR, self.rid, text_payload(text))
                self.finish()
            else:
                self.channel.send(FAILED, self.rid, text_payload(text))
                self.finish()
            if not isinstance(error, Exception):
                raise
        else:
            if self.complete:
                return
            if self.disconnected:
                self.finish_quietly()
            elif not self.head_sent:
                self.channel.send(ERROR, self.rid, text_payload(
                    'ASGI application returned without %s' % ('a body message' if self.started else 'starting a response')))
                self.finish()
            else:
                self.channel.send(FAILED, self.rid, text_payload('ASGI application returned without completing its response'))
                self.finish()
        finally:
            worker.task_done()

    def finish_quietly(self):
        """The client is gone and the application is done: Node frees the request's seat."""
        self.channel.send(END, self.rid)
        self.finish()


class ClientDisconnected(OSError):
    """send() on a WebSocket whose client is gone (the ASGI spec asks for an OSError subclass)."""


class WebSocketCycle:
    """One WebSocket connection: the ASGI `receive` and `send` of its `websocket` scope."""

    def __init__(self, worker, rid, scope, max_message):
        self.worker = worker
        self.channel = worker.channel
        self.rid = rid
        self.scope = scope
        self.max_message = max_message
        self.state = 'connecting'  # then 'open', then 'closed' (the application closed)
        self.connect_sent = False
        self.messages = collections.deque()
        self.disconnect_code = None
        self.disconnect_reason = ''
        self.close_code = 1000
        self.unacked = 0
        self.done = False
        self.waiters = []

    wake = HttpCycle.wake
    wait = HttpCycle.wait

    # ---- events from Node -------------------------------------------------------------

    def on_frame(self, ftype, payload):
        if ftype == WS_TEXT_IN:
            self.messages.append({'type': 'websocket.receive', 'text': payload.decode('utf-8')})
        elif ftype == WS_BYTES_IN:
            self.messages.append({'type': 'websocket.receive', 'bytes': bytes(payload)})
        elif ftype == WS_CLOSED:
            self.disconnect_code = U16.unpack_from(payload)[0]
            self.disconnect_reason = payload[2:].decode('utf-8', 'replace')
        elif ftype == CREDIT:
            self.unacked -= U32.unpack(payload)[0]
        self.wake()

    # ---- the application's side ---------------------------------------------------------

    async def receive(self):
        if not self.connect_sent:
            self.connect_sent = True
            return {'type': 'websocket.connect'}
        while not self.messages and self.disconnect_code is None and self.state != 'closed':
            await self.wait()
        if self.messages and self.state != 'closed':
            self.channel.send(WS_CREDIT, self.rid, U32.pack(1))
            return self.messages.popleft()
        if self.disconnect_code is None:
            # The application closed: Node tells it nothing more, its own close is the end.
            return {'type': 'websocket.disconnect', 'code': self.close_code, 'reason': ''}
        return {'type': 'websocket.disconnect', 'code': self.disconnect_code, 'reason': self.disconnect_reason}

    async def send(self, message):
        kind = message['type']
        if self.disconnect_code is not None and kind != 'websocket.close':
            raise ClientDisconnected('ASGI: %s on a WebSocket whose client is gone' % kind)
        if kind == 'websocket.accept':
            if self.state != 'connecting':
                raise RuntimeError('ASGI: websocket.accept sent twice or after websocket.close')
            subprotocol = message.get('subprotocol') or ''
            if subprotocol and (not isinstance(subprotocol, str) or subprotocol not in self.scope['subprotocols']):
                raise ValueError('ASGI: websocket.accept subprotocol %r was not requested by the client' % (subprotocol,))
            parts = [subprotocol]
            for name, value in message.get('headers') or ():
                name, value = bytes(name), bytes(value)
                if not TOKEN_RE.match(name.decode('latin-1')) or any(c in value for c in b'\r\n\0'):
                    raise ValueError('ASGI: invalid header in websocket.accept: %r: %r' % (name, value))
                if name.lower() in WS_OWN_HEADERS:
                    raise ValueError('ASGI: websocket.accept may not set %r (the handshake owns it)' % (name,))
                parts.append(name.decode('latin-1'))
                parts.append(value.decode('latin-1'))
            self.state = 'open'
            self.channel.send(WS_ACCEPT, self.rid, '\0'.join(parts).encode('latin-1'))
            return
        if kind == 'websocket.send':
            if self.state != 'open':
                raise RuntimeError('ASGI: websocket.send before websocket.accept or after websocket.close')
            text, data = message.get('text'), message.get('bytes')
            if text is not None:
                if not isinstance(text, str):
                    raise TypeError('ASGI: websocket.send text must be str, got %s' % type(text).__name__)
                ftype, payload = WS_TEXT_OUT, text.encode('utf-8')
            elif data is not None:
                if not isinstance(data, (bytes, bytearray, memoryview)):
                    raise TypeError('ASGI: websocket.send bytes must be bytes, got %s' % type(data).__name__)
                ftype, payload = WS_BYTES_OUT, bytes(data)
            else:
                raise ValueError('ASGI: websocket.send needs text or bytes')
            if len(payload) > self.max_message:
                raise ValueError('ASGI: websocket.send message of %d bytes (the limit is %d)' % (len(payload), self.max_message))
            self.unacked += 1
            self.channel.send(ftype, self.rid, payload)
            while self.unacked >= WS_WINDOW_MESSAGES and self.disconnect_code is None:
                await self.wait()
            return
        if kind == 'websocket.close':
            if self.state == 'closed':
                return
            code = message.get('code', 1000)
            reason = (message.get('reason') or '').encode('utf-8')
            if not isinstance(code, int) or not (code == 1000 or 1001 <= code <= 1014 and code not in (1004, 1005, 1006)
                                                 or 3000 <= code <= 4999):
                raise ValueError('ASGI: websocket.close code %r is not one a close frame may carry' % (code,))
            if len(reason) > 123:
                raise ValueError('ASGI: websocket.close reason of %d bytes (a close frame holds 123)' % len(reason))
            self.state = 'closed'
            self.close_code = code
            self.finish(WS_CLOSE, U16.pack(code) + reason)
            self.wake()
            return
        raise RuntimeError('ASGI: unexpected message %r on a websocket connection' % (kind,))

    def finish(self, ftype, payload=b''):
        if self.done:
            return
        self.done = True
        self.channel.send(ftype, self.rid, payload)
        self.worker.requests.pop(self.rid, None)

    async def run(self, app):
        try:
            await app(self.scope, self.receive, self.send)
        except BaseException as error:
            text = traceback.format_exc()
            if self.done:
                self.worker.log(LOG_ERROR, 'ASGI application raised after closing its WebSocket:\n' + text, self.rid)
            elif self.disconnect_code is not None:
                self.finish(END)
            else:
                # Before the accept: a 500; after it: the connection closes with 1011.
                self.finish(ERROR, text_payload(text))
            if not isinstance(error, Exception):
                raise
        else:
            if self.disconnect_code is not None:
                self.finish(END)
            elif self.state == 'open':
                self.finish(WS_CLOSE, U16.pack(1000))
            elif not self.done:
                self.finish(ERROR, text_payload('ASGI application returned without accepting or closing the WebSocket'))
        finally:
            self.worker.task_done()


class Lifespan:
    """The `lifespan` scope: startup before READY, shutdown when Node closes the channel."""

    def __init__(self, app, state, mode):
        self.app = app
        self.state = state
        self.mode = mode
        self.events = asyncio.Queue()
        self.startup_done = asyncio.get_running_loop().create_future()
        self.shutdown_done = asyncio.get_running_loop().create_future()
        self.task = None
        self.unsupported = False

    async def receive(self):
        return await self.events.get()

    async def send(self, message):
        kind = message['type']
        if kind == 'lifespan.startup.complete':
            self.settle(self.startup_done, None)
        elif kind == 'lifespan.startup.failed':
            self.settle(self.startup_done, 'lifespan startup failed: %s' % message.get('message', ''))
        elif kind == 'lifespan.shutdown.complete':
            self.settle(self.shutdown_done, None)
        elif kind == 'lifespan.shutdown.failed':
            self.settle(self.shutdown_done, 'lifespan shutdown failed: %s' % message.get('message', ''))
        else:
            raise RuntimeError('ASGI: unexpected message %r on the lifespan scope' % (kind,))

    @staticmethod
    def settle(future, value):
        if not future.done():
            future.set_result(value)

    async def main(self):
        scope = {'type': 'lifespan', 'asgi': {'version': '3.0', 'spec_version': '2.0'}, 'state': self.state}
        try:
            await self.app(scope, self.receive, self.send)
        except BaseException:
            text = traceback.format_exc()
            if not self.startup_done.done():
                if self.mode == 'on':
                    self.settle(self.startup_done, 'lifespan startup raised:\n' + text)
                else:
                    # 'auto': an application without lifespan support raises on the scope; that is allowed.
                    self.unsupported = True
                    self.settle(self.startup_done, None)
            else:
                self.settle(self.shutdown_done, 'lifespan shutdown raised:\n' + text)
        finally:
            self.settle(self.startup_done, 'the application returned from the lifespan scope before startup completed'
                        if self.mode == 'on' else None)
            self.settle(self.shutdown_done, None)

    async def startup(self):
        """Returns None when the application started, else the reason it did not."""
        self.task = asyncio.ensure_future(self.main())
        await self.events.put({'type': 'lifespan.startup'})
        return await self.startup_done

    async def shutdown(self):
        if self.unsupported or self.task is None or self.task.done():
            return None
        await self.events.put({'type': 'lifespan.shutdown'})
        try:
            return await asyncio.wait_for(asyncio.shield(self.shutdown_done), SHUTDOWN_TIMEOUT_S)
        except asyncio.TimeoutError:
            return 'lifespan shutdown did not complete within %d s' % SHUTDOWN_TIMEOUT_S


class Worker:
    """Routes frames to requests and starts one task per request (Node bounds how many run at once)."""

    def __init__(self, app, state, max_message):
        self.app = app
        self.max_message = max_message
        self.state = state
        self.requests = {}
        self.tasks = 0
        self.idle = None
        self.channel = None
        self.asgi = {'version': '3.0', 'spec_version': '2.3'}

    def log(self, level, text, rid=0):
        self.channel.send(LOG, rid, bytes((level,)) + text_payload(text))

    def on_frame(self, ftype, rid, payload):
        if ftype == REQUEST:
            self.start(rid, payload)
            return
        cycle = self.requests.get(rid)
        if cycle is None:
            return  # a late frame for a finished request
        if isinstance(cycle, WebSocketCycle):
            cycle.on_frame(ftype, payload)
        elif ftype == BODY:
            cycle.on_body(payload)
        elif ftype == BODY_END:
            cycle.on_body_end()
        elif ftype == CREDIT:
            cycle.on_credit(U32.unpack(payload)[0])
        elif ftype == ABORT:
            cycle.on_abort()

    def start(self, rid, payload):
        """Builds the `http` scope from the REQUEST frame (layout in the README) and runs the application."""
        fields = payload[1:].decode('latin-1').split('\0')
        (method, scheme, http_version, raw_path, rest, query, root_path,
         client_host, client_port, server_host, server_port) = fields[:11]
        headers = []
        for i in range(11, len(fields) - 1, 2):
            headers.append((fields[i].encode('latin-1'), fields[i + 1].encode('latin-1')))
        if payload[0] & WEBSOCKET:
            self.start_websocket(rid, fields[1:11], headers)
            return
        scope = {
            'type': 'http',
            'asgi': self.asgi,
            'http_version': http_version,
            'method': method,
            'scheme': scheme,
            'path': unquote(rest),
            'raw_path': raw_path.encode('latin-1'),
            'query_string': query.encode('latin-1'),
            'root_path': root_path,
            'headers': headers,
            'client': (client_host, int(client_port)) if client_host else None,
            'server': (server_host, int(server_port)) if server_host else None,
            'state': dict(self.state),
        }
        cycle = HttpCycle(self, rid, scope, bool(payload[0] & HAS_BODY))
        self.requests[rid] = cycle
        self.tasks += 1
        asyncio.ensure_future(cycle.run(self.app))

    def start_websocket(self, rid, fields, headers):
        """Builds the `websocket` scope (the REQUEST frame's fields without the method) and runs the application."""
        (scheme, http_version, raw_path, rest, query, root_path, client_host, client_port, server_host, server_port) = fields
        subprotocols = []
        for name, value in headers:
            if name == b'sec-websocket-protocol':
                subprotocols.extend(p.strip() for p in value.decode('latin-1').split(',') if p.strip())
        scope = {
            'type': 'websocket',
            'asgi': self.asgi,
            'http_version': http_version,
            'scheme': 'wss' if scheme == 'https' else 'ws',
            'path': unquote(rest),
            'raw_path': raw_path.encode('latin-1'),
            'query_string': query.encode('latin-1'),
            'root_path': root_path,
            'headers': headers,
            'client': (client_host, int(client_port)) if client_host else None,
            'server': (server_host, int(server_port)) if server_host else None,
            'subprotocols': subprotocols,
            'state': dict(self.state),
        }
        cycle = WebSocketCycle(self, rid, scope, self.max_message)
        self.requests[rid] = cycle
        self.tasks += 1
        asyncio.ensure_future(cycle.run(self.app))

    def task_done(self):
        self.tasks -= 1
        if self.tasks == 0 and self.idle is not None and not self.idle.done():
            self.idle.set_result(None)

    async def drain(self):
        """Waits for the running requests (Node closed the channel: no new ones come)."""
        if self.tasks > 0:
            self.idle = asyncio.get_running_loop().create_future()
            await self.idle


def load(spec):
    """Imports `module:attr` (the attribute may be dotted, or `factory()` to call it)."""
    module_name, _, attr = spec.partition(':')
    target = importlib.import_module(module_name)
    call = attr.endswith('()')
    for part in (attr[:-2] if call else attr or 'app').split('.'):
        target = getattr(target, part)
    if call:
        target = target()
    if not callable(target):
        raise TypeError('%s is not callable (it is %s)' % (spec, type(target).__name__))
    if inspect.isclass(target):
        # An ASGI 2 ("double callable") application: name the problem instead of failing per request.
        raise TypeError('%s is a class (an ASGI 2 application); sluice serves ASGI 3 callables' % spec)
    return target


def send_now(ftype, payload):
    """A frame written before the event loop runs (READY, STARTUP_FAILED)."""
    data = HEADER.pack(len(payload), ftype, 0) + payload
    view = memoryview(data)
    while view:
        view = view[os.write(CHANNEL_FD, view):]


async def serve(spec, lifespan_mode, loop_name, max_message):
    state = {}
    app = load(spec)
    worker = Worker(app, state, max_message)
    loop = asyncio.get_running_loop()
    sock = socket.socket(fileno=CHANNEL_FD)
    transport, channel = await loop.connect_accepted_socket(lambda: Channel(worker), sock)
    worker.channel = channel
    lifespan = None
    if lifespan_mode != 'off':
        lifespan = Lifespan(app, state, lifespan_mode)
        failure = await lifespan.startup()
        if failure is not None:
            channel.send(STARTUP_FAILED, 0, text_payload(failure))
            channel.flush()
            await asyncio.sleep(0)
            return 3
    channel.send(READY, 0, ('%d %s %s' % (os.getpid(), sys.version.split()[0], loop_name)).encode())
    await channel.closed
    await worker.drain()
    if lifespan is not None:
        failure = await lifespan.shutdown()
        if failure is not None:
            sys.stderr.write(failure + '\n')
    channel.flush()
    transport.close()
    return 0


def main():
    spec, lifespan_mode, loop_choice = sys.argv[1], sys.argv[2], sys.argv[3]
    max_message = int(sys.argv[4]) if len(sys.argv) > 4 else 16 * 1024 * 1024
    # Node decides when workers stop; Ctrl-C in a terminal must not kill them first.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Programs the application runs must not hold the channel open: its closing is how Node learns that this worker is gone.
    os.set_inheritable(CHANNEL_FD, False)
    sys.path.insert(0, os.getcwd())
    loop_name = 'asyncio'
    if loop_choice != 'asyncio':
        try:
            import uvloop
            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
            loop_name = 'uvloop'
        except ImportError:
            if loop_choice == 'uvloop':
                send_now(STARTUP_FAILED, b'loop "uvloop" asked for, but uvloop is not importable')
                sys.exit(3)
    try:
        code = asyncio.run(serve(spec, lifespan_mode, loop_name, max_message))
    except BaseException:
        try:
            send_now(STARTUP_FAILED, text_payload(traceback.format_exc()))
        except OSError:
            pass
        sys.exit(3)
    sys.exit(code)


if __name__ == '__main__':
    main()
