#!/usr/bin/python3
"""A form with POST (standard library only): GET shows it, POST echoes the fields back."""
import html
import os
import sys
from urllib.parse import parse_qs

method = os.environ.get("REQUEST_METHOD", "GET")
fields = {}
if method == "POST":
    length = int(os.environ.get("CONTENT_LENGTH") or 0)
    body = sys.stdin.buffer.read(length).decode("utf-8", "replace")
    fields = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}

out = ["<!doctype html><title>form</title>",
       f'<form method="post" action="{html.escape(os.environ.get("SCRIPT_NAME", ""))}">',
       '<input name="name"> <input name="color"> <button>send</button></form>']
for key in sorted(fields):
    out.append(f"<p>{html.escape(key)} = {html.escape(fields[key])}</p>")
sys.stdout.write("Content-Type: text/html; charset=utf-8\r\n\r\n" + "\n".join(out) + "\n")
