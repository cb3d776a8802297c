#!/usr/bin/env bash
# Makes sure the peers the benchmark suites compare sluice with are installed: the load tools
# (wrk, ab), nginx (static), lighttpd (cgi), gunicorn, uWSGI with its Python 3 plugin and Flask
# for Debian's /usr/bin/python3 (wsgi). Installs what is missing with apt-get when run as root
# on Debian; otherwise names what to install and goes on (a suite skips a peer it cannot find).
# It must never fail the bench for a missing peer: the suites say which rows they left out.
set -uo pipefail

# "command-or-check|debian-packages" pairs; "py:" checks a module of /usr/bin/python3, "uwsgi-py3"
# that uWSGI loads its python3 plugin.
needs=(
  "wrk|wrk"
  "ab|apache2-utils"
  "nginx|nginx-light"
  "lighttpd|lighttpd"
  "gunicorn|gunicorn"
  "py:flask|python3-flask"
  "uwsgi|uwsgi-core"
  "uwsgi-py3|uwsgi-plugin-python3"
)

present() {
  case "$1" in
    py:*) /usr/bin/python3 -c "import ${1#py:}" 2>/dev/null ;;
    uwsgi-py3) [ -e /usr/lib/uwsgi/plugins/python3_plugin.so ] ;;
    *) command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] ;;
  esac
}

missing=()
for entry in "${needs[@]}"; do
  present "${entry%%|*}" || missing+=("${entry##*|}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "bench peers missing (their rows will be skipped): sudo apt-get install -y ${missing[*]}" >&2
  exit 0
fi
echo "installing bench peers: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || echo "bench peers: apt-get failed; the suites skip what is missing" >&2
exit 0
