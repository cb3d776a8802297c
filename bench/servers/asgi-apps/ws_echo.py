"""Raw ASGI WebSocket echo for the asgi-websocket bench suite (standard library only)."""


async def app(scope, receive, send):
    if scope['type'] != 'websocket':
        return
    await receive()
    await send({'type': 'websocket.accept'})
    while True:
        message = await receive()
        if message['type'] == 'websocket.disconnect':
            return
        await send({'type': 'websocket.send', 'text': message.get('text'), 'bytes': message.get('bytes')})
