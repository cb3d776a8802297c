#!/usr/bin/env python3
"""CGI demo: a form that posts back to this script, which echoes the fields it parsed."""
import html
import os
import sys
from urllib.parse import parse_qsl

fields = []
if os.environ.get("REQUEST_METHOD") == "POST":
    length = int(os.environ.get("CONTENT_LENGTH") or 0)
    fields = parse_qsl(sys.stdin.buffer.read(length).decode("utf-8"), keep_blank_values=True)

echo = "".join("<li>%s = %s</li>" % (html.escape(k), html.escape(v)) for k, v in fields)
print("Content-Type: text/html; charset=utf-8")
print()
print("""<!DOCTYPE html><html><head><meta charset="utf-8"><title>CGI form</title></head><body>
<h1>A form handled by a CGI script</h1>
<form method="post" action="%s"><input name="name" placeholder="name"> <input name="colour" placeholder="colour">
<button>Post</button></form>
<ul id="echo">%s</ul></body></html>""" % (html.escape(os.environ.get("SCRIPT_NAME", "")), echo))
