#!/bin/bash
# A/B of two builds on a shared, loaded machine: CPU seconds (user+sys) and peak RSS from GNU time, which
# load inflates far less than wall time. The same 100k-row file (bench/generate.ts) is imported by a base
# build and by this tree, alternating, three rounds; round 1 also times a --force re-import after clean --fix.
#   BASE=/path/to/base/checkout bash bench/import-ab.sh   (BASE built with: npx tsc -p tsconfig.build.json)
# The file comes from: npm run bench:import -- --sizes 100000 --orders 0
set -e
BASE=${BASE:?set BASE to a built checkout of the base commit}
HERE=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp "$HERE/bench/out/contacts-fr-100000.csv" "$WORK/ab.csv"
run() { /usr/bin/time -f "%U %S %M %e" node "$@" -q >/dev/null 2>"$WORK/t.txt" || true; tail -1 "$WORK/t.txt" | awk '{printf "cpu %.2f s (wall %.2f s, rss %d MB)", $1+$2, $4, $3/1024}'; }
for round in 1 2 3; do
  for side in base after; do
    BIN=$BASE/bin/custkit.js; [ $side = after ] && BIN=$HERE/bin/custkit.js
    DB=$WORK/ab-$side.db; rm -f "$DB"*
    echo "round $round $side: first load $(run "$BIN" --db "$DB" import "$WORK/ab.csv"); --force $(run "$BIN" --db "$DB" import "$WORK/ab.csv" --force); load $(cut -d' ' -f1 /proc/loadavg)"
    if [ $round = 1 ]; then
      node "$BIN" --db "$DB" clean --fix -q >/dev/null 2>&1 || true
      echo "round $round $side: after clean --fix, --force $(run "$BIN" --db "$DB" import "$WORK/ab.csv" --force)"
    fi
  done
done
