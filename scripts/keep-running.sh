#!/usr/bin/env bash
# keep-running.sh NAME COMMAND...: run COMMAND; when it dies (a crash, kill -9, an error at start)
# say so and start it again, after 1 s, doubling up to 30 s while it keeps dying within a minute.
# SIGTERM or SIGINT (honcho stopping the set) is passed on to COMMAND and ends the loop. This is
# what keeps one dying process from stopping the others under `make run`.
name="$1"
shift
child=0
stop() {
    trap - TERM INT
    if [ "$child" != 0 ]; then
        kill -TERM "$child" 2>/dev/null
        wait "$child" 2>/dev/null
    fi
    exit 0
}
trap stop TERM INT
pause=1
while true; do
    started=$SECONDS
    "$@" &
    child=$!
    wait "$child"
    status=$?
    child=0
    echo "keep-running: $name exited (status $status); starting it again in ${pause} s" >&2
    sleep "$pause" &
    wait $!
    if [ $((SECONDS - started)) -gt 60 ]; then pause=1; else pause=$((pause * 2 > 30 ? 30 : pause * 2)); fi
done
