"""A Flask application served by sluice through @sluice/wsgi-bridge: routes with
parameters, JSON in and out, a file upload, and a streamed generator response."""

import hashlib

from flask import Flask, Response, jsonify, request, stream_with_context

app = Flask(__name__)


@app.get('/')
def index():
    return 'Hello from Flask\n'


@app.get('/hello/<name>')
def hello(name):
    return f'Hello, {name}!\n'


@app.post('/json')
def echo_json():
    data = request.get_json(force=True)
    return jsonify(received=data, keys=sorted(data) if isinstance(data, dict) else None)


@app.post('/upload')
def upload():
    file = request.files['file']
    digest = hashlib.sha256()
    size = 0
    for block in iter(lambda: file.stream.read(65536), b''):
        digest.update(block)
        size += len(block)
    return jsonify(filename=file.filename, size=size, sha256=digest.hexdigest(), note=request.form.get('note'))


@app.get('/stream')
def stream():
    count = int(request.args.get('count', '5'))

    @stream_with_context
    def generate():
        for i in range(count):
            yield f'line {i} of {request.path}\n'
    return Response(generate(), mimetype='text/plain')


@app.errorhandler(404)
def not_found(error):
    return jsonify(error='not found', path=request.path), 404
