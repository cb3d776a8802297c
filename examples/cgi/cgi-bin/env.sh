#!/bin/sh
# Environment dump: every variable the program received, one NAME=value per line, sorted.
printf 'Content-Type: text/plain; charset=utf-8\r\n\r\n'
env | sort
