"""A FastAPI application served by sluice through @sluice/asgi-bridge: path and query
parameters and a JSON body validated by pydantic (422 on bad input), a streamed
response, and a startup hook."""

import asyncio
import os
from typing import List, Optional

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

app = FastAPI(title='sluice example')
ITEMS = {}


class Item(BaseModel):
    name: str = Field(..., min_length=1)
    price: float = Field(..., gt=0)
    tags: List[str] = []


@app.on_event('startup')
async def startup():
    ITEMS[1] = Item(name='hammer', price=9.5, tags=['tools'])


@app.get('/')
async def root():
    return {'hello': 'FastAPI on sluice'}


@app.get('/pid')
async def pid():
    return {'pid': os.getpid()}


@app.get('/items/{item_id}')
async def read_item(item_id: int, q: Optional[str] = None, limit: int = Query(10, ge=1, le=100)):
    item = ITEMS.get(item_id)
    if item is None:
        raise HTTPException(status_code=404, detail='item %d not found' % item_id)
    return {'id': item_id, 'item': item.dict(), 'q': q, 'limit': limit}


@app.post('/items/{item_id}', status_code=201)
async def create_item(item_id: int, item: Item):
    ITEMS[item_id] = item
    return {'id': item_id, 'item': item.dict()}


@app.get('/stream')
async def stream(count: int = Query(5, ge=1, le=10000)):
    async def numbers():
        for i in range(count):
            yield '%d\n' % i
            await asyncio.sleep(0)

    return StreamingResponse(numbers(), media_type='text/plain')
