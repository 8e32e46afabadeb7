#!/bin/sh
# Starts one role of the school-ops image: api, worker, ops (the ops CLI, with its arguments),
# or create-buckets (the one-off job that creates the private and mirror buckets).
# TypeScript runs through tsx, a runtime dependency, so the image has no build step.
set -eu
role="${1:-api}"
[ "$#" -gt 0 ] && shift
case "$role" in
  api) exec node --import tsx api/main.ts ;;
  worker) exec node --import tsx worker/main.ts ;;
  ops) exec node --import tsx cli/ops.ts "$@" ;;
  create-buckets) exec node --import tsx deploy/create-buckets.ts ;;
  *) echo "unknown role \"$role\": use api, worker, ops or create-buckets" >&2; exit 64 ;;
esac
