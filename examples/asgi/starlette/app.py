"""A Starlette application served by sluice through @sluice/asgi-bridge: a page, path
parameters, a JSON POST, a streamed response, lifespan state, and a WebSocket echo."""

import asyncio
import contextlib

from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect


async def home(request):
    return HTMLResponse('<!doctype html><title>Starlette on sluice</title><h1>Hello from Starlette</h1>\n')


async def hello(request):
    return PlainTextResponse('Hello, %s!\n' % request.path_params['name'])


async def info(request):
    return JSONResponse({
        'root_path': request.scope.get('root_path'),
        'url': str(request.url),
        'client': list(request.client) if request.client else None,
        'started': request.app.state.started,
        'query': dict(request.query_params),
    })


async def notes(request):
    note = await request.json()
    return JSONResponse({'received': note, 'bytes': int(request.headers['content-length'])}, status_code=201)


async def stream(request):
    count = int(request.query_params.get('count', '5'))

    async def lines():
        for i in range(count):
            yield 'line %d\n' % i
            await asyncio.sleep(0)

    return StreamingResponse(lines(), media_type='text/plain')


async def echo(websocket: WebSocket):
    await websocket.accept(subprotocol='echo' if 'echo' in websocket.scope.get('subprotocols', []) else None)
    try:
        while True:
            message = await websocket.receive()
            if message['type'] == 'websocket.disconnect':
                return
            if message.get('text') is not None:
                if message['text'] == 'close':
                    await websocket.close(code=4000)
                    return
                await websocket.send_text('echo: ' + message['text'])
            else:
                await websocket.send_bytes(message['bytes'][::-1])
    except WebSocketDisconnect:
        return


@contextlib.asynccontextmanager
async def lifespan(app):
    app.state.started = True
    yield


app = Starlette(routes=[
    Route('/', home),
    Route('/hello/{name}', hello),
    Route('/info', info),
    Route('/notes', notes, methods=['POST']),
    Route('/stream', stream),
    WebSocketRoute('/ws', echo),
], lifespan=lifespan)
