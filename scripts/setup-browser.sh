#!/usr/bin/env bash
# The headless browser of the real-browser test (tests/notebook/test_browser.py): Debian's
# Chromium, driven by Playwright for Python (the `test` extra) through executable_path, so
# `playwright install` is never needed. Idempotent: does nothing when Chromium is there.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-browser.sh: no /usr/bin/chromium and no apt-get; the browser test will fail" >&2
    exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
/usr/bin/chromium --version
