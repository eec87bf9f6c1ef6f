#!/bin/bash
# A/B of two builds for dedupe at scale on a shared machine: CPU seconds (user + sys), peak RSS and wall
# from GNU time, each command on a fresh copy of the same store, base and this tree alternating.
#   BASE=/path/to/base/checkout STORE=/path/to/store.db [ROUNDS=2] [DRY=1] bash bench/dedupe-ab.sh
# BASE built with `npx tsc -p tsconfig.build.json`. STORE: generated contacts imported and dry-run once
# (keys and a fitted model), e.g. 1M rows: bench/generate.ts full mode, 15 % duplicates, seed 12, then
# `custkit import FILE` and `custkit dedupe` (what `npm run bench:dedupe -- --million` does first).
set -e
BASE=${BASE:?set BASE to a built checkout of the base commit}
STORE=${STORE:?set STORE to a keyed store}
HERE=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d --tmpdir="$(dirname "$STORE")")
trap 'rm -rf "$WORK"' EXIT
run() { /usr/bin/time -f "%U %S %M %e" -o "$WORK/t.txt" node "$@" >/dev/null 2>&1 || true; awk '{printf "cpu %.1f s (wall %.1f s, rss %d MB)", $1+$2, $4, $3/1024}' "$WORK/t.txt"; }
for round in $(seq "${ROUNDS:-2}"); do
  for side in base after; do
    BIN=$BASE/bin/custkit.js; [ $side = after ] && BIN=$HERE/bin/custkit.js
    DB=$WORK/$side.db; cp "$STORE" "$DB"
    [ -n "$DRY" ] && echo "round $round $side: dedupe (dry run)     $(run "$BIN" --db "$DB" dedupe --json --examples 0); load $(cut -d' ' -f1 /proc/loadavg)"
    echo "round $round $side: dedupe --apply        $(run "$BIN" --db "$DB" dedupe --apply --json --examples 0); load $(cut -d' ' -f1 /proc/loadavg)"
    echo "round $round $side: unmerge --all-since   $(run "$BIN" --db "$DB" unmerge --all-since 2000-01-01 --json); load $(cut -d' ' -f1 /proc/loadavg)"
    rm -rf "$DB" "$DB"-* "$DB".backups
  done
done
