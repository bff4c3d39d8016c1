#!/usr/bin/env bash
# Make sure Debian's Chromium is there for the browser tests (never Playwright's own download).
set -u
for exe in "${ALVIZ_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
  if [ -n "$exe" ] && [ -x "$exe" ]; then exit 0; fi
done
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests ..."
  apt-get update -qq >/dev/null 2>&1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 && exit 0
fi
echo "warning: no Chromium found; install Debian's package (apt-get install chromium) or set ALVIZ_CHROMIUM." >&2
echo "         The browser tests fail under CI=true and skip otherwise." >&2
exit 0
