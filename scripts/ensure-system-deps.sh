#!/usr/bin/env bash
# Makes sure the programs the test suite runs for real are installed:
# curl, ab, wrk, wget, nghttp (HTTP clients), git, openssl (test certificates), php-cgi, Perl's CGI.pm, Django and Flask
# for /usr/bin/python3, the ASGI stack (Starlette, FastAPI, uvicorn with uvloop and httptools for the bench
# comparison), nginx (reverse-proxy test), a C toolchain that compiles (the native CGI spawn helper) and Chromium
# (the browser tests drive it headless through puppeteer-core). Installs what
# is missing with apt-get when run as root (as CI does), then checks again; otherwise names what to install and fails.
set -euo pipefail

# "command-or-check|debian-packages" pairs. A check starting with "perl:" or "py:" is a module; "cc:" compiles a program
# that includes the C library's headers (gcc alone, without libc6-dev, has no errno.h).
needs=(
  "curl|curl"
  "ab|apache2-utils"
  "wrk|wrk"
  "wget|wget"
  "python3|python3"
  "git|git"
  "openssl|openssl"
  "php-cgi|php-cgi"
  "perl:CGI|libcgi-pm-perl"
  "py:django|python3-django"
  "py:flask|python3-flask"
  "py:starlette|python3-starlette"
  "py:fastapi|python3-fastapi"
  "py:uvicorn|python3-uvicorn"
  "py:uvloop|python3-uvloop"
  "py:httptools|python3-httptools"
  "nginx|nginx-light"
  "cc:errno.h|gcc libc6-dev"
  "chromium|chromium"
  "nghttp|nghttp2-client"
)

# Whether the check passes.
present() {
  case "$1" in
    perl:*) perl -M"${1#perl:}" -e 1 2>/dev/null ;;
    py:*) /usr/bin/python3 -c "import ${1#py:}" 2>/dev/null ;;
    cc:*) printf '#include <%s>\nint main(void) { return 0; }\n' "${1#cc:}" | "${CC:-cc}" -x c -o /dev/null - 2>/dev/null ;;
    *) command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] ;;
  esac
}

# The packages of every entry whose check fails (word-split: an entry may name several packages).
missing_packages() {
  local entry
  for entry in "${needs[@]}"; do
    present "${entry%%|*}" || echo "${entry##*|}"
  done
}

# shellcheck disable=SC2207
missing=($(missing_packages))

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "sluice tests need these Debian packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing system packages for the tests: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq -o DPkg::Lock::Timeout=300
apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}" >/dev/null
# A package that installed but did not provide what its check looks for must not pass silently.
# shellcheck disable=SC2207
still=($(missing_packages))
if [ ${#still[@]} -ne 0 ]; then
  echo "installed, but the checks still fail for: ${still[*]}" >&2
  exit 1
fi
