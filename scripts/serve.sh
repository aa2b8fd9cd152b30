#!/usr/bin/env bash
# serve.sh: the processes of `make run` (Procfile) under honcho. Ctrl-C or SIGTERM stops them all
# (each gets SIGTERM and ends within a few seconds; honcho kills what is left after 5 s) and, as
# a stop asked for, counts as success: exit status 0. Any other end passes honcho's status on.
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
"$ROOT/.venv/bin/honcho" start -f "$ROOT/Procfile" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM INT
wait "$child"
status=$?
while kill -0 "$child" 2>/dev/null; do  # the trap interrupted the wait: wait for honcho's own end
    wait "$child"
    status=$?
done
case "$status" in
    130 | 143) exit 0 ;;  # honcho's status after a stop on SIGINT or SIGTERM
    *) exit "$status" ;;
esac
