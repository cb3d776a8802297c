"""A PEP 3333 application wrapped in wsgiref.validate.validator, for the bridge's tests.
Run with PYTHONWARNINGS=error so that any validator warning fails the request."""

import json
import os
import sys
import time
from wsgiref.validate import validator

MARKER_DIR = os.environ.get('WSGI_TEST_MARKERS', '/tmp')


def wait_for_marker(name):
    path = os.path.join(MARKER_DIR, name)
    deadline = time.time() + 10
    while not os.path.exists(path) and time.time() < deadline:
        time.sleep(0.01)


def raw_app(environ, start_response):
    path = environ['PATH_INFO']
    if path.startswith('/wsgi'):
        shown = {k: v for k, v in environ.items() if isinstance(v, (str, bool, int, tuple))}
        body = json.dumps(shown, sort_keys=True).encode('utf-8')
        start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(body)))])
        return [body]
    if path == '/echo':
        stream = environ['wsgi.input']
        chunks = []
        while True:
            chunk = stream.read(8192)
            if not chunk:
                break
            chunks.append(chunk)
        body = b''.join(chunks)
        start_response('200 OK', [('Content-Type', 'application/octet-stream'), ('X-Received', str(len(body)))])
        return [body]
    if path == '/lines':
        lines = environ['wsgi.input'].readlines()
        body = json.dumps([line.decode('latin-1') for line in lines]).encode()
        start_response('200 OK', [('Content-Type', 'application/json')])
        return [body]
    if path == '/stream':
        start_response('200 OK', [('Content-Type', 'text/plain')])

        def generate():
            yield b'first\n'
            wait_for_marker(environ.get('QUERY_STRING', 'go'))
            yield b'second\n'
        return generate()
    if path == '/exc-before':
        write = start_response('200 OK', [('Content-Type', 'text/plain')])
        try:
            raise ValueError('failed before the body')
        except ValueError:
            start_response('503 Service Unavailable', [('Content-Type', 'text/plain')], sys.exc_info())
        return [b'recovered with exc_info\n']
    if path == '/exc-after':
        start_response('200 OK', [('Content-Type', 'text/plain')])

        def generate():
            yield b'partial body\n'
            try:
                raise ValueError('failed after the head')
            except ValueError:
                # PEP 3333: with the head already sent, start_response re-raises.
                start_response('500 Internal Server Error', [('Content-Type', 'text/plain')], sys.exc_info())
            yield b'never\n'
        return generate()
    if path == '/write':
        write = start_response('200 OK', [('Content-Type', 'text/plain')])
        write(b'written ')
        return [b'and returned\n']
    start_response('404 Not Found', [('Content-Type', 'text/plain')])
    return [b'not found\n']


application = validator(raw_app)
