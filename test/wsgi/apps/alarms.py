"""An application that uses SIGALRM itself (as `signal.alarm` timeouts do), installing its
handler at import time (ALARM_AT_IMPORT set) or in its first /arm request: the worker's
response batching must leave its handler and its timer alone."""

import json
import os
import signal
import time

fired = []
armed = []


def on_alarm(signum, frame):
    fired.append(time.monotonic())


if os.environ.get('ALARM_AT_IMPORT'):
    signal.signal(signal.SIGALRM, on_alarm)


def application(environ, start_response):
    path = environ['PATH_INFO']
    if path == '/arm':
        # The alarm before the handler: in the usual order a worker timer expiring in the
        # microseconds between the two calls would reach this handler (see the README).
        armed.append(time.monotonic())
        signal.alarm(1)
        signal.signal(signal.SIGALRM, on_alarm)
        body = b'armed\n'
    elif path == '/wait':
        # Reports the alarms fired and how long after signal.alarm(1) the first one came.
        deadline = time.monotonic() + 10
        while not fired and time.monotonic() < deadline:
            time.sleep(0.01)
        body = json.dumps({'fired': len(fired), 'after': fired[0] - armed[0] if fired else None}).encode()
    else:
        # Slow enough (0.2 ms of CPU) for the worker to hold its responses and use its timer.
        until = time.perf_counter() + 0.0002
        while time.perf_counter() < until:
            pass
        body = ('hello %s\n' % environ.get('QUERY_STRING', '')).encode()
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])
    return [body]
