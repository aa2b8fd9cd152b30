#!/usr/bin/env bash
# The check a new user makes: clone HEAD (committed work only) into a new private folder (mode
# 0700, as `mktemp -d` and many home folders are) and run .ci/run there. The folder is removed
# when the run passes and kept for a look when it fails.
source "$(dirname "$0")/lib.sh"

dir="$(mktemp -d -t lvc-fresh-XXXXXX)"
git clone -q "$ROOT" "$dir/checkout"
say "fresh clone of $(git -C "$dir/checkout" rev-parse --short HEAD) in $dir (mode $(stat -c %a "$dir"))"
start=$SECONDS
status=0
(cd "$dir/checkout" && CI=true .ci/run) || status=$?
say "fresh-test: .ci/run exited $status after $((SECONDS - start)) s"
if [ "$status" = 0 ]; then rm -rf "$dir"; else say "kept $dir for a look"; fi
exit "$status"
