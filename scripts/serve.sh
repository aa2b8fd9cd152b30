#!/usr/bin/env bash
# serve.sh: the processes of `make run` (Procfile) under honcho. Ctrl-C or SIGTERM stops them all
# (each gets SIGTERM and ends within a few seconds; honcho kills what is left after 5 s) and, as
# a stop asked for, counts as success: exit status 0. Any other end passes honcho's status on.
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
HONCHO=("$ROOT/.venv/bin/honcho" start -f "$ROOT/Procfile")
if [ -t 0 ]; then
    # In a terminal, honcho runs as a job of its own (job control), so Ctrl-C reaches it alone:
    # make and this script see it end normally instead of being interrupted themselves.
    set -m
    "${HONCHO[@]}"
    status=$?
else
    "${HONCHO[@]}" &
    child=$!
    trap 'kill -TERM "$child" 2>/dev/null' TERM INT
    wait "$child"
    status=$?
    while kill -0 "$child" 2>/dev/null; do  # the trap interrupted the wait: wait for honcho's own end
        wait "$child"
        status=$?
    done
fi
case "$status" in
    130 | 143) exit 0 ;;  # honcho's status after a stop on SIGINT or SIGTERM
    *) exit "$status" ;;
esac
