"""Answers with the parts of the ASGI http scope an HTTP/2 request changes, and the request body."""
import json


async def app(scope, receive, send):
    if scope['type'] != 'http':
        return
    body = b''
    more = True
    while more:
        event = await receive()
        body += event.get('body', b'')
        more = event.get('more_body', False)
    out = {
        'http_version': scope['http_version'],
        'method': scope['method'],
        'scheme': scope['scheme'],
        'path': scope['path'],
        'query_string': scope['query_string'].decode('latin-1'),
        'headers': [[k.decode('latin-1'), v.decode('latin-1')] for k, v in scope['headers']],
        'body': body.decode(),
    }
    await send({'type': 'http.response.start', 'status': 200,
                'headers': [(b'content-type', b'application/json'), (b'connection', b'close')]})
    await send({'type': 'http.response.body', 'body': json.dumps(out).encode()})
