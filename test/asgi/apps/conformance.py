"""A raw ASGI 3 application that reports what the server gave it: the scope (every key),
the lifespan events and the order of the events of each request, as JSON. Standard library only."""

import asyncio
import json
import os
import sys

STARTED = []


def jsonable(value):
    if isinstance(value, bytes):
        return {'bytes': value.decode('latin-1')}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


async def lifespan(scope, receive, send):
    message = await receive()
    assert message['type'] == 'lifespan.startup'
    scope['state']['started_by'] = 'lifespan'
    scope['state']['pid'] = os.getpid()
    STARTED.append(scope['asgi'])
    await send({'type': 'lifespan.startup.complete'})
    message = await receive()
    assert message['type'] == 'lifespan.shutdown'
    markers = os.environ.get('ASGI_TEST_MARKERS')
    if markers:
        with open(os.path.join(markers, 'shutdown'), 'w') as f:
            f.write('done')
    await send({'type': 'lifespan.shutdown.complete'})


async def reply(send, status, payload, headers=()):
    body = json.dumps(payload).encode()
    await send({'type': 'http.response.start', 'status': status,
                'headers': [(b'content-type', b'application/json'), *headers]})
    await send({'type': 'http.response.body', 'body': body})


async def app(scope, receive, send):
    if scope['type'] == 'lifespan':
        return await lifespan(scope, receive, send)
    path = scope['path']
    if path == '/scope':
        events = []
        while True:
            message = await receive()
            events.append({'type': message['type'], 'body': message.get('body', b'').decode('latin-1'),
                           'more_body': message.get('more_body')})
            if not message.get('more_body'):
                break
        scope_copy = dict(scope)
        scope_copy['state'] = dict(scope['state'])
        await reply(send, 200, {'scope': jsonable(scope_copy), 'events': events, 'keys': sorted(scope.keys()),
                                'header_types': sorted({type(n).__name__ + '/' + type(v).__name__ for n, v in scope['headers']}),
                                'loop': type(asyncio.get_running_loop()).__module__,
                                'lifespan_asgi': STARTED[0] if STARTED else None})
    elif path == '/echo':
        # The request body as it arrives, chunk by chunk, streamed back as it is read.
        await send({'type': 'http.response.start', 'status': 200, 'headers': [(b'content-type', b'application/octet-stream')]})
        while True:
            message = await receive()
            await send({'type': 'http.response.body', 'body': message.get('body', b''), 'more_body': True})
            if not message.get('more_body'):
                break
        await send({'type': 'http.response.body', 'body': b''})
    elif path == '/stream':
        count = int(scope['query_string'].decode() or '3')
        await send({'type': 'http.response.start', 'status': 200, 'headers': [(b'content-type', b'text/plain')]})
        for i in range(count):
            await send({'type': 'http.response.body', 'body': b'chunk %d\n' % i, 'more_body': True})
            await asyncio.sleep(0.01)
        await send({'type': 'http.response.body', 'body': b'', 'more_body': False})
    elif path == '/big':
        # A large body sent as fast as the worker may: the flow control window holds it back.
        size = int(scope['query_string'].decode())
        markers = os.environ['ASGI_TEST_MARKERS']
        await send({'type': 'http.response.start', 'status': 200, 'headers': [(b'content-length', str(size).encode())]})
        sent = 0
        block = b'x' * 65536
        while sent < size:
            piece = block[:min(65536, size - sent)]
            await send({'type': 'http.response.body', 'body': piece, 'more_body': sent + len(piece) < size})
            sent += len(piece)
            with open(os.path.join(markers, 'sent'), 'w') as f:
                f.write(str(sent))
    elif path == '/forever':
        # Streams until the client goes away, then records the http.disconnect it received.
        markers = os.environ['ASGI_TEST_MARKERS']
        await send({'type': 'http.response.start', 'status': 200, 'headers': [(b'content-type', b'text/plain')]})
        await send({'type': 'http.response.body', 'body': b'first\n', 'more_body': True})
        message = await receive()  # the (empty) request body
        message = await receive()  # waits for the disconnect
        with open(os.path.join(markers, 'disconnect'), 'w') as f:
            f.write(message['type'])
    elif path == '/longpoll':
        # Waits without answering until released (or the client goes away).
        markers = os.environ['ASGI_TEST_MARKERS']
        release = os.path.join(markers, 'release')
        while not os.path.exists(release):
            await asyncio.sleep(0.05)
        await reply(send, 200, {'released': True})
    elif path == '/wait-disconnect':
        markers = os.environ['ASGI_TEST_MARKERS']
        await receive()
        message = await receive()
        with open(os.path.join(markers, 'disconnect'), 'w') as f:
            f.write(message['type'])
    elif path == '/raise':
        raise ValueError('boom from the application')
    elif path == '/raise-late':
        await send({'type': 'http.response.start', 'status': 200, 'headers': []})
        await send({'type': 'http.response.body', 'body': b'partial', 'more_body': True})
        raise ValueError('boom after the head')
    elif path == '/no-response':
        return
    elif path == '/bad-status':
        await send({'type': 'http.response.start', 'status': 99, 'headers': []})
        await send({'type': 'http.response.body', 'body': b''})
    elif path == '/crash':
        os._exit(9)
    elif path == '/block':
        import time
        time.sleep(60)
    elif path == '/headers':
        await send({'type': 'http.response.start', 'status': 201,
                    'headers': [(b'x-one', b'1'), (b'set-cookie', b'a=1'), (b'set-cookie', b'b=2')]})
        await send({'type': 'http.response.body', 'body': b'made'})
    else:
        await reply(send, 404, {'path': path})
