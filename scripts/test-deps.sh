#!/usr/bin/env bash
# What the test suite needs beyond the console itself: Debian's Chromium for Playwright.
source "$(dirname "$0")/lib.sh"
apt_install chromium
command -v chromium >/dev/null || die "chromium is not installed (apt-get install chromium)"
