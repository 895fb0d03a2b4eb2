#!/usr/bin/env bash
# The main job on the bundled demo corpus, from a fresh machine: create .venv and install;
# ingest examples/demo (which also extracts entities, figures and phrases and scores stance);
# import the bundled real prices; check the news's return claims; write the HTML report.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
out=${DEMO_OUT:-out/demo}
mkdir -p "$out"
rm -f "$out/narrative.db" "$out/narrative.db-wal" "$out/narrative.db-shm"
db="$out/narrative.db"
echo "== ingest: examples/demo/feeds.yaml -> $db"
.venv/bin/narrative ingest --feeds examples/demo/feeds.yaml --db "$db" --silent
echo
echo "== feeds"
.venv/bin/narrative feeds --feeds examples/demo/feeds.yaml --db "$db"
echo
echo "== store"
.venv/bin/narrative stats --db "$db"
echo
echo "== top entities"
.venv/bin/narrative entities --db "$db" --limit 10
echo
echo "== figures stated about Alibaba (any alias or ticker works: BABA, 9988.HK, 阿里巴巴集团)"
.venv/bin/narrative figures BABA --db "$db" --kind change --limit 8
echo "== what the pipeline sees in two sentences of our own (the code path enrich uses)"
.venv/bin/narrative analyze --narrative chip-export-controls \
  "Washington delayed the new AI chip export rule by six months, easing pressure on Nvidia." \
  "美国商务部将更多中国芯片企业列入实体清单。"
echo
echo "== narrative index (china-ai) on NYSE sessions, point in time, last sessions"
.venv/bin/narrative index --db "$db" --sessions XNYS --format csv | tail -n 6
echo
echo "== the same store scored toward a second narrative: chip-export-controls"
.venv/bin/narrative enrich --db "$db" --rescore --narrative chip-export-controls
.venv/bin/narrative index --db "$db" --narrative chip-export-controls --sessions XNYS --format csv | tail -n 4
echo
echo "== prices: examples/demo/prices/*.csv"
.venv/bin/narrative prices import examples/demo/prices/*.csv --db "$db"
echo
echo "== claims in the news checked against prices"
.venv/bin/narrative claims --db "$db" --format csv | cut -d, -f1-9 | sed -n 1,12p
echo
echo "== report"
.venv/bin/narrative report --db "$db" --narrative china-ai --tickers BABA,9988.HK,KWEB --benchmark QQQ \
  --from 2024-01-01 --to 2025-10-31 --out "$out/report"
echo
echo "== calibrated lead-lag, as JSON for a script: the summary line"
.venv/bin/narrative leadlag --db "$db" --narrative china-ai --tickers BABA,KWEB --benchmark QQQ \
  --from 2024-01-01 --to 2025-10-31 --format json | .venv/bin/python -c "import json,sys; print(json.load(sys.stdin)['summary'])"
echo
echo "Database: $db (tables documented in README.md; open it with any SQLite client or 'narrative serve')"
echo "Report:   $out/report/report.html"
