"""A WSGI application using only Python's standard library: a greeting, a form that
echoes what was posted, and a slow server-sent-events stream. Served by sluice through
@sluice/wsgi-bridge (see ../README.md)."""

import html
import time
from urllib.parse import parse_qs

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>stdlib WSGI on sluice</title></head>
<body><h1>Hello from Python {version}</h1>
<form method="post" action="{script}/echo"><input name="message"><button>Send</button></form>
<p><a href="{script}/events">a stream of events</a></p></body></html>
"""


def application(environ, start_response):
    path = environ.get('PATH_INFO', '') or '/'
    script = environ.get('SCRIPT_NAME', '')
    if path == '/':
        import sys
        body = PAGE.format(version=sys.version.split()[0], script=html.escape(script)).encode()
        start_response('200 OK', [('Content-Type', 'text/html; charset=utf-8'), ('Content-Length', str(len(body)))])
        return [body]
    if path == '/echo' and environ['REQUEST_METHOD'] == 'POST':
        length = int(environ.get('CONTENT_LENGTH') or 0)
        form = parse_qs(environ['wsgi.input'].read(length).decode('utf-8'))
        message = form.get('message', [''])[0]
        body = ('You said: %s\n' % message).encode('utf-8')
        start_response('200 OK', [('Content-Type', 'text/plain; charset=utf-8'), ('Content-Length', str(len(body)))])
        return [body]
    if path == '/events':
        start_response('200 OK', [('Content-Type', 'text/event-stream'), ('Cache-Control', 'no-cache')])

        def events():
            for i in range(5):
                yield ('data: tick %d\n\n' % i).encode()
                time.sleep(0.2)
        return events()
    body = b'not found\n'
    start_response('404 Not Found', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])
    return [body]
