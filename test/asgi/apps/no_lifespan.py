"""An ASGI application without lifespan support: it raises on any scope but http (allowed in lifespan 'auto')."""


async def app(scope, receive, send):
    if scope['type'] != 'http':
        raise RuntimeError('only http here')
    await send({'type': 'http.response.start', 'status': 200, 'headers': [(b'content-type', b'text/plain')]})
    await send({'type': 'http.response.body', 'body': b'no lifespan, still serving'})
