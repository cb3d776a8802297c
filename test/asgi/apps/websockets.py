"""A raw ASGI 3 WebSocket application for the bridge's websocket tests (standard library only).
/echo accepts (with the subprotocol `chat` when offered, and an extra header) and echoes text
and bytes; the text `close` makes it close with 4001 'bye'; the text `scope` returns the scope as
JSON; the text `crash` kills the worker; the text `flood N` sends N numbered messages. When the client goes away it writes the
`websocket.disconnect` code to ASGI_TEST_MARKERS/disconnect. /reject closes before accepting
(403); /raise raises before accepting (500); other paths are plain HTTP."""

import json
import os


def jsonable(value):
    if isinstance(value, bytes):
        return value.decode('latin-1')
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


async def echo(scope, receive, send):
    assert (await receive())['type'] == 'websocket.connect'
    subprotocol = 'chat' if 'chat' in scope['subprotocols'] else None
    await send({'type': 'websocket.accept', 'subprotocol': subprotocol, 'headers': [(b'x-accepted', b'yes')]})
    while True:
        message = await receive()
        if message['type'] == 'websocket.disconnect':
            with open(os.path.join(os.environ['ASGI_TEST_MARKERS'], 'disconnect'), 'w') as f:
                f.write('%s %s' % (message['code'], message.get('reason', '')))
            return
        text = message.get('text')
        if text is None:
            await send({'type': 'websocket.send', 'bytes': message['bytes']})
        elif text == 'close':
            await send({'type': 'websocket.close', 'code': 4001, 'reason': 'bye'})
            return
        elif text == 'crash':
            os._exit(1)
        elif text == 'scope':
            await send({'type': 'websocket.send', 'text': json.dumps(jsonable({k: v for k, v in scope.items() if k != 'state'}))})
        elif text.startswith('flood '):
            for i in range(int(text[6:])):
                await send({'type': 'websocket.send', 'text': '%d %s' % (i, 'x' * 1000)})
        else:
            await send({'type': 'websocket.send', 'text': 'echo: ' + text})


async def app(scope, receive, send):
    if scope['type'] == 'lifespan':
        return  # no lifespan support: 'auto' tolerates it
    if scope['type'] == 'http':
        await send({'type': 'http.response.start', 'status': 200, 'headers': [(b'content-type', b'text/plain')]})
        await send({'type': 'http.response.body', 'body': b'http ' + scope['path'].encode()})
        return
    if scope['path'] == '/echo':
        await echo(scope, receive, send)
    elif scope['path'] == '/reject':
        await receive()
        await send({'type': 'websocket.close'})
    elif scope['path'] == '/raise':
        raise RuntimeError('refusing with an exception')
