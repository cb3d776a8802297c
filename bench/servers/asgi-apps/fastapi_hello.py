"""Benchmark app: FastAPI's hello (a JSON response from one route)."""

from fastapi import FastAPI

app = FastAPI()


@app.get('/')
async def hello():
    return {'message': 'Hello, World!'}
