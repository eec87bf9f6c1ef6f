#!/usr/bin/env bash
# The main job on the bundled fixtures, as a user would run it: import, validate and clean, dedupe,
# score, export, a person's GDPR rights. Leaves demo/custkit.db to explore: node bin/custkit.js --db demo/custkit.db db info
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p demo
export CUSTKIT_DB=demo/custkit.db
rm -f "$CUSTKIT_DB" "$CUSTKIT_DB-wal" "$CUSTKIT_DB-shm" demo/*.csv demo/*.xlsx demo/*.json
# The arguments as they can be pasted into a shell: bare when they hold nothing a shell would read,
# else in double quotes (or single quotes when they hold " $ ` \ or !).
quote() {
  local out="" arg
  for arg in "$@"; do
    if [[ "$arg" =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then out+=" $arg"
    elif [[ "$arg" != *[\"\$\`\\\!]* ]]; then out+=" \"$arg\""
    else out+=" '${arg//\'/\'\\\'\'}'"
    fi
  done
  printf '%s' "${out# }"
}
# Exit codes 0 and 3 are results (3 = finished with rejected or flagged rows); 1 or 2 is a failure and stops the demo.
ck() { echo; echo "\$ custkit $(quote "$@")"; node bin/custkit.js "$@"; local code=$?; [ "$code" -eq 0 ] || [ "$code" -eq 3 ] || exit "$code"; }

echo "== import"
ck import fixtures/clients-fr-cp1252.csv
ck import fixtures/contacts-en-bom.csv --source crm-uk
ck import fixtures/purchases-fr.csv          # exit 3: two rows rejected, on purpose
ck rejects
ck import fixtures/workbook.xlsx --all-sheets --source boutique
ck import fixtures/score-purchases.csv --source shop

echo; echo "== validate and clean"
ck validate
ck clean
ck clean --fix --fix-typos
ck clean --fix                               # second run: nothing left to change
ck validate --out demo/issues.csv

echo; echo "== dedupe"
ck dedupe
ck dedupe --review demo/review.csv
ck dedupe --apply
ck dedupe                                    # nothing new after the merge

echo; echo "== score"
ck score --as-of 2024-12-31
ck score --as-of 2025-06-30
ck segments --compare-previous
ck score --as-of 2025-06-30 --method rfmcca
ck affinities

echo; echo "== export"
ck suppress --import fixtures/unsubscribed-mailchimp.csv   # exit 3 on purpose: one row is not an address
ck export --preset brevo --out demo/brevo.csv
ck export --segment "about to sleep" --segment promising --preset mailchimp --out demo/mailchimp.csv
ck export --channel sms --preset klaviyo --out demo/sms.csv
ck seeds add trap.demo@example.org --name "Camille Roux"
ck export --with-seeds 1 --out demo/partner.csv
ck seeds trace demo/partner.csv
ck exports

echo; echo "== GDPR"
ck gdpr access chloe.lefevre@free.fr --out demo/chloe.json
ck gdpr erase chloe.lefevre@free.fr --reason "demo: request by email"
ck import fixtures/clients-fr-cp1252.csv --force   # the erased person's row is skipped: "1 suppressed"
ck gdpr purge --as-of 2029-12-31 --dry-run          # exit 3: who the CNIL periods would purge by then
ck audit --action gdpr

echo; echo "== the store"
ck db info
echo
echo "demo store: $CUSTKIT_DB (try: node bin/custkit.js --db $CUSTKIT_DB segments)"

echo; echo "== report"
ck report --as-of 2025-06-30
ck report --as-of 2025-06-30 --html demo/report.html
echo
echo "report: $(pwd)/demo/report.html (open it in a browser; it needs no network)"

echo; echo "== the nightly job as one pipeline file (a copy of fixtures/pipeline: its inbox is emptied into archive/)"
rm -rf demo/pipeline && cp -r fixtures/pipeline demo/pipeline
ck --db demo/pipeline/shop.db run demo/pipeline/nightly.yaml --dry-run
ck --db demo/pipeline/shop.db run demo/pipeline/nightly.yaml
ck --db demo/pipeline/shop.db runs
