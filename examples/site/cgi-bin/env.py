#!/usr/bin/env python3
"""CGI demo: shows the CGI/1.1 meta-variables (RFC 3875 section 4.1) this script received."""
import html
import os

names = sorted(os.environ)
rows = "\n".join("<tr><th>%s</th><td>%s</td></tr>" % (html.escape(n), html.escape(os.environ[n])) for n in names)
print("Content-Type: text/html; charset=utf-8")
print()
print("<!DOCTYPE html><html><head><meta charset='utf-8'><title>CGI environment</title></head><body>")
print("<h1>CGI environment</h1><table>%s</table></body></html>" % rows)
