#!/usr/bin/env bash
# What the test suite needs beyond the console itself: Debian's Chromium for Playwright, and
# PostgreSQL's server programs (a fault test runs a private server it stops and starts).
source "$(dirname "$0")/lib.sh"
apt_install chromium postgresql-15
command -v chromium >/dev/null || die "chromium is not installed (apt-get install chromium)"
[ -x /usr/lib/postgresql/15/bin/pg_ctl ] || die "PostgreSQL 15 is not installed (apt-get install postgresql-15)"
