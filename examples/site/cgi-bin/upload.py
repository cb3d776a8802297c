#!/usr/bin/env python3
"""CGI demo: a multipart/form-data upload, answered with each file's name, size and SHA-256.
Parses the body with the standard library's email package (the cgi module is gone in 3.13)."""
import hashlib
import html
import os
import sys
from email.parser import BytesParser
from email.policy import HTTP

results = []
if os.environ.get("REQUEST_METHOD") == "POST":
    length = int(os.environ.get("CONTENT_LENGTH") or 0)
    head = b"Content-Type: " + os.environ.get("CONTENT_TYPE", "").encode("latin-1") + b"\r\n\r\n"
    message = BytesParser(policy=HTTP).parsebytes(head + sys.stdin.buffer.read(length))
    for part in message.iter_parts():
        name = part.get_filename()
        if name is not None:
            data = part.get_payload(decode=True) or b""
            results.append((name, len(data), hashlib.sha256(data).hexdigest()))

rows = "".join("<li><span class='name'>%s</span>: <span class='size'>%d</span> bytes, sha256 <span class='sha256'>%s</span></li>"
               % (html.escape(n), s, h) for n, s, h in results)
print("Content-Type: text/html; charset=utf-8")
print()
print("""<!DOCTYPE html><html><head><meta charset="utf-8"><title>CGI upload</title></head><body>
<h1>Upload a file to a CGI script</h1>
<form method="post" enctype="multipart/form-data" action="%s"><input type="file" name="file"> <button>Upload</button></form>
<ul id="files">%s</ul></body></html>""" % (html.escape(os.environ.get("SCRIPT_NAME", "")), rows))
