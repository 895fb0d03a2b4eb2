#!/usr/bin/env bash
# Cron wrapper for the daily ingest. Example crontab line (06:15 every day):
#   15 6 * * * /path/to/narrative/scripts/daily_ingest.sh >> /var/log/narrative.log 2>&1
# Settings come from the environment: NARRATIVE_DB, NARRATIVE_FEEDS (default ./feeds.yaml
# in the repository) and any other NARRATIVE_* setting (see `narrative settings`).
# `ingest` stores new articles, then enriches and scores them together with every article an earlier run
# stored but was killed before enriching or scoring (issue 11), so a run cut short is finished by the next.
set -uo pipefail
cd "$(dirname "$0")/.."
export NARRATIVE_FEEDS=${NARRATIVE_FEEDS:-$PWD/feeds.yaml}
export NARRATIVE_DB=${NARRATIVE_DB:-$PWD/narrative.db}
bin=.venv/bin/narrative
[ -x "$bin" ] || bin=narrative
output=$("$bin" ingest --silent "$@" 2>&1)
status=$?
# One timestamped line per message: failed feeds first, the summary line last.
printf '%s\n' "$output" | sed "s/^/$(date -u +%Y-%m-%dT%H:%M:%SZ) /"
exit "$status"
