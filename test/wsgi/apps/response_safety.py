"""A WSGI application for the response-safety tests: statuses the bridge must refuse
(1xx, out of range) and bodies handed over as one huge bytes object."""

import os
from urllib.parse import parse_qs, unquote


def pattern(size):
    """`size` bytes of a 251-byte cycle: a piece lost, repeated or reordered shows."""
    cycle = bytes(range(251))
    return (cycle * (size // 251 + 1))[:size]


def application(environ, start_response):
    path = environ['PATH_INFO']
    query = parse_qs(environ.get('QUERY_STRING', ''))
    if path == '/pid':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [str(os.getpid()).encode()]
    if path == '/status':
        # The status line exactly as given (e.g. "101 Switching Protocols"), then a body.
        start_response(unquote(environ['QUERY_STRING']), [('Content-Type', 'text/plain'), ('Upgrade', 'websocket')])
        if environ.get('HTTP_X_MODE') == 'stream':
            return iter([b'first ', b'second\n'])
        return [b'after the status\n']
    if path == '/huge':
        size = int(query['size'][0])
        mode = query['mode'][0]
        headers = [('Content-Type', 'application/octet-stream')]
        if 'length' in query:
            headers.append(('Content-Length', query['length'][0]))
        write = start_response('200 OK', headers)
        body = pattern(size)
        if mode == 'list':
            return [body]
        if mode == 'write':
            write(body)
            return []
        return iter([b'head:', body, b':tail'])
    if path == '/huge-head':
        start_response('200 OK', [('Content-Type', 'text/plain'), ('X-Big', 'h' * (2 * 1024 * 1024))])
        return [b'never sent\n']
    if path == '/huge-error':
        raise ValueError('x' * (70 * 1024 * 1024))
    start_response('404 Not Found', [('Content-Type', 'text/plain')])
    return [b'not found\n']
