#!/usr/bin/env bash
# Makes sure the programs the test suite runs for real are installed:
# curl, ab, wrk, wget (HTTP clients), git, openssl (test certificates), php-cgi, Perl's CGI.pm, Django and Flask
# for /usr/bin/python3, nginx (reverse-proxy test), and a C compiler (the native CGI spawn helper). Installs what is missing with
# apt-get when run as root (as CI does); otherwise names what to install and fails.
set -euo pipefail

# "command-or-check|debian-package" pairs. A check starting with "perl:" or "py:" is a module.
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
  "nginx|nginx-light"
  "cc|gcc"
)

missing=()
for entry in "${needs[@]}"; do
  check=${entry%%|*}
  pkg=${entry##*|}
  case "$check" in
    perl:*) perl -M"${check#perl:}" -e 1 2>/dev/null || missing+=("$pkg") ;;
    py:*) /usr/bin/python3 -c "import ${check#py:}" 2>/dev/null || missing+=("$pkg") ;;
    *) command -v "$check" >/dev/null 2>&1 || [ -x "/usr/sbin/$check" ] || missing+=("$pkg") ;;
  esac
done

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
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
