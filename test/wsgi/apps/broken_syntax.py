"""Fails to import: the start-up failure test needs the SyntaxError reported."""

def application(environ, start_response)
    return []
