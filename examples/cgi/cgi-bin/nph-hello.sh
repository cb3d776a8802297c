#!/bin/sh
# Non-parsed headers: the output is the whole HTTP response, status line included.
printf '%s 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nhello from an NPH script\n' "${SERVER_PROTOCOL:-HTTP/1.0}"
