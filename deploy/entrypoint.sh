#!/bin/sh
# Starts one role of the school-ops image: api, worker, or ops (the ops CLI, with its arguments).
set -eu
role="${1:-api}"
[ "$#" -gt 0 ] && shift
case "$role" in
  api) exec node --import tsx api/main.ts ;;
  worker) exec node --import tsx worker/main.ts ;;
  ops) exec node --import tsx cli/ops.ts "$@" ;;
  *) echo "unknown role \"$role\": use api, worker or ops" >&2; exit 64 ;;
esac
