"""An ASGI application whose lifespan startup reports a failure."""


async def app(scope, receive, send):
    if scope['type'] == 'lifespan':
        await receive()
        await send({'type': 'lifespan.startup.failed', 'message': 'database unreachable at db:5432'})
        return
    await send({'type': 'http.response.start', 'status': 200, 'headers': []})
    await send({'type': 'http.response.body', 'body': b'never'})
