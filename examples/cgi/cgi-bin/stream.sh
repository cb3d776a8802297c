#!/bin/sh
# Streaming: one line every 0.2 s; each arrives at the client as soon as it is written.
printf 'Content-Type: text/plain\r\n\r\n'
i=1
while [ "$i" -le "${COUNT:-5}" ]; do
  echo "line $i at $(date +%T.%N)"
  i=$((i + 1))
  sleep 0.2
done
