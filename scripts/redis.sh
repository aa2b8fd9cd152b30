#!/usr/bin/env bash
# Makes sure the Redis at REDIS_URL answers; starts a local redis-server when it is on this machine,
# with its append-only file in .state/: queued jobs survive a restart of it.
source "$(dirname "$0")/lib.sh"

url="${REDIS_URL:-redis://127.0.0.1:6379/0}"
hostport="${url#redis://}"; hostport="${hostport#*@}"; hostport="${hostport%%/*}"
host="${hostport%%:*}"; port="${hostport##*:}"; [ "$port" = "$host" ] && port=6379
redis_answers() { [ "$(redis-cli -h "$host" -p "$port" ping 2>/dev/null)" = PONG ]; }

if ! redis_answers; then
    case "$host" in
        127.0.0.1|localhost)
            say "starting redis-server on $host:$port"
            redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly yes --appendfsync everysec \
                --dir "$STATE" --logfile "$STATE/redis.log" >/dev/null
            wait_for 15 redis_answers || die "redis-server did not answer on $host:$port (see $STATE/redis.log)"
            ;;
        *) die "Redis at $url does not answer" ;;
    esac
fi
say "redis answers at $host:$port"
