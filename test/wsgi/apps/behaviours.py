"""A WSGI application with misbehaving routes (crashes, hangs, bad headers), for the
bridge's failure and lifecycle tests."""

import json
import os
import sys
import threading
import time

MARKER_DIR = os.environ.get('WSGI_TEST_MARKERS', '/tmp')


def mark(name, text=''):
    with open(os.path.join(MARKER_DIR, name), 'w') as f:
        f.write(text)


class Tracked:
    """An iterable that records when the server closes it."""

    def __init__(self, chunks, name, delay=0.0):
        self.chunks = chunks
        self.name = name
        self.delay = delay

    def __iter__(self):
        for chunk in self.chunks:
            yield chunk
            if self.delay:
                time.sleep(self.delay)

    def close(self):
        mark(self.name, 'closed')


def wait_for(name, spin=False):
    """Waits (sleeping, or spinning on the CPU) until the test creates the marker file; False after 20 s."""
    marker = os.path.join(MARKER_DIR, name)
    deadline = time.time() + 20
    while not os.path.exists(marker):
        if time.time() > deadline:
            return False
        if not spin:
            time.sleep(0.01)
    return True


def application(environ, start_response):
    path = environ['PATH_INFO']
    query = environ.get('QUERY_STRING', '')
    if path == '/pid':
        body = json.dumps({'pid': os.getpid(), 'thread': threading.get_ident(),
                           'multithread': environ['wsgi.multithread'],
                           'multiprocess': environ['wsgi.multiprocess']}).encode()
        start_response('200 OK', [('Content-Type', 'application/json')])
        return [body]
    if path == '/crash':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        os._exit(7)
    if path == '/crash-mid-body':
        start_response('200 OK', [('Content-Type', 'text/plain')])

        def generate():
            yield b'some of the body\n'
            if query:
                wait_for(query)  # until the test has seen the head: dies after it was sent
            os._exit(9)
        return generate()
    if path == '/sleep':
        time.sleep(float(query or '1'))
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'slept\n']
    if path == '/block':
        # Holds the worker until the test creates the marker file named by the query string.
        marker = os.path.join(MARKER_DIR, query)
        deadline = time.time() + 20
        while not os.path.exists(marker) and time.time() < deadline:
            time.sleep(0.01)
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'released\n']
    if path in ('/hold', '/spin'):
        # Like /block, but says whether the test released it or it gave up waiting.
        released = wait_for(query, spin=path == '/spin')
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'released\n' if released else b'gave up\n']
    if path == '/block-then-crash':
        marker = os.path.join(MARKER_DIR, query)
        deadline = time.time() + 20
        while not os.path.exists(marker) and time.time() < deadline:
            time.sleep(0.01)
        os._exit(5)
    if path == '/bad-status':
        start_response('OK 200', [('Content-Type', 'text/plain')])
        return [b'bad status\n']
    if path == '/bad-length':
        start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', 'twelve')])
        return [b'bad length\n']
    if path == '/nul-header':
        start_response('200 OK', [('Content-Type', 'text/plain'), ('X-Nul', 'a\0b')])
        return [b'nul\n']
    if path == '/not-bytes':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return ['a str, not bytes']
    if path == '/no-start':
        return [b'forgot start_response']
    if path == '/raise':
        raise RuntimeError('boom from the application')
    if path == '/print':
        print('hello from print')
        sys.stderr.write('warning on stderr\n')
        environ['wsgi.errors'].write('via wsgi.errors\n')
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'printed\n']
    if path == '/hop':
        start_response('200 OK', [('Content-Type', 'text/plain'), ('Keep-Alive', 'timeout=5'), ('X-Kept', 'yes')])
        return [b'hop\n']
    if path == '/crlf':
        start_response('200 OK', [('Content-Type', 'text/plain'), ('X-Evil', 'a\r\nSet-Cookie: pwned=1')])
        return [b'crlf\n']
    if path == '/short':
        start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', '100')])
        return Tracked([b'only ', b'ten b'], 'short-closed')
    if path == '/long':
        start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', '5')])
        return [b'12345', b'6789']
    if path == '/cookies':
        start_response('200 OK', [('Content-Type', 'text/plain'), ('Set-Cookie', 'a=1'), ('Set-Cookie', 'b=2')])
        return [b'cookies\n']
    if path == '/empty':
        start_response('204 No Content', [])
        return []
    if path == '/file':
        name = os.path.join(MARKER_DIR, 'payload.bin')
        f = open(name, 'rb')
        wrapper = environ['wsgi.file_wrapper'](f)

        def close():
            mark('file-position', str(f.tell()))
            f.close()
        wrapper.close = close
        start_response('200 OK', [('Content-Type', 'application/octet-stream')])
        return wrapper
    if path == '/file-in-memory':
        import io
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return environ['wsgi.file_wrapper'](io.BytesIO(b'in memory, ' * 10000), 4096)
    if path == '/sse':
        start_response('200 OK', [('Content-Type', 'text/event-stream'), ('Cache-Control', 'no-cache')])
        return Tracked((b'data: %d\n\n' % i for i in range(100000)), 'sse-closed', delay=0.02)
    if path == '/big':
        size = int(query or '1048576')
        start_response('200 OK', [('Content-Type', 'application/octet-stream'), ('Content-Length', str(size))])

        def generate():
            left = size
            block = b'x' * 65536
            while left > 0:
                yield block[:min(left, 65536)]
                left -= 65536
        return generate()
    if path == '/upload-hash':
        import hashlib
        digest = hashlib.sha256()
        total = 0
        stream = environ['wsgi.input']
        while True:
            chunk = stream.read(65536)
            if not chunk:
                break
            digest.update(chunk)
            total += len(chunk)
        body = json.dumps({'bytes': total, 'sha256': digest.hexdigest()}).encode()
        start_response('200 OK', [('Content-Type', 'application/json')])
        return [body]
    if path == '/upload-length':
        # Marks that the application started (before reading), then reports what it read.
        import hashlib
        mark('upload-started')
        data = environ['wsgi.input'].read()
        body = json.dumps({'content_length': environ.get('CONTENT_LENGTH'), 'bytes': len(data),
                           'sha256': hashlib.sha256(data).hexdigest()}).encode()
        start_response('200 OK', [('Content-Type', 'application/json')])
        return [body]
    if path == '/ignore-body':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'did not read\n']
    start_response('404 Not Found', [('Content-Type', 'text/plain')])
    return [b'not found\n']
