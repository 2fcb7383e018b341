#!/usr/bin/env bash
# Makes sure the AWS emulator the tests and the demo use (moto in server mode) is installed.
set -euo pipefail
if ! command -v python3 >/dev/null 2>&1; then
  echo "python3 is required for the AWS emulator (moto): install Python 3, then run: python3 -m pip install 'moto[server]>=5'" >&2
  exit 1
fi
if ! python3 -c 'import moto, flask, flask_cors' >/dev/null 2>&1; then
  python3 -m pip install --quiet 'moto[server]>=5'
fi
