"""Benchmark: the plain WSGI hello (13 bytes, Content-Length set)."""


def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', '13')])
    return [b'Hello, World!']
