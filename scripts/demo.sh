#!/usr/bin/env bash
# The main job on the bundled fixtures, as a user would run it. Leaves demo/custkit.db to explore:
#   node bin/custkit.js --db demo/custkit.db db info
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p demo
export CUSTKIT_DB=demo/custkit.db
rm -f "$CUSTKIT_DB" "$CUSTKIT_DB-wal" "$CUSTKIT_DB-shm"
ck() { echo; echo "\$ custkit $*"; node bin/custkit.js "$@"; local code=$?; [ "$code" -le 3 ] || exit "$code"; }

ck import fixtures/clients-fr-cp1252.csv
ck import fixtures/contacts-en-bom.csv --source crm-uk
ck import fixtures/purchases-fr.csv          # exit 3: two rows rejected, on purpose
ck rejects
ck import fixtures/workbook.xlsx --all-sheets --source boutique
ck db info
echo
echo "demo store: $CUSTKIT_DB (try: node bin/custkit.js --db $CUSTKIT_DB db info)"
