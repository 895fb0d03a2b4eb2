#!/usr/bin/env bash
# The main job on the bundled demo corpus, from a fresh machine:
# create .venv, install, ingest examples/demo into out/demo/narrative.db, print a summary.
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
echo
echo "Database: $db (tables documented in README.md; open it with any SQLite client)"
