#!/usr/bin/env bash
# Long property runs standing in for cargo-fuzz (which needs nightly): each target runs
# its proptest property again and again (a fresh random seed each time) until SECONDS
# of wall time have passed, then reports the cases executed. A failing case stops the
# run; proptest saves it under the crate's proptest-regressions/ so it is replayed by
# every later `cargo test`.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [CASES_PER_RUN]
set -euo pipefail
cd "$(dirname "$0")/.."
budget=${1:-600}
per_run=${2:-20000}
# crate, test target, property
targets=(
  "chaff-learn --test=properties page_bytes_classify"
  "chaff-learn --test=properties damaged_model_files_never_panic"
  "chaff-extract --test=properties arbitrary_bytes_never_panic"
  "chaff --bin=chaff input::properties::damaged_warc_streams_never_panic"
  "chaff --bin=chaff input::properties::damaged_jsonl_streams_never_panic"
)
cargo test --release -p chaff-learn -p chaff-extract --test properties --no-run -q
cargo test --release -p chaff --bin chaff --no-run -q
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "${targets[@]}"; do
  read -r crate target name <<<"$t"
  start=$(date +%s)
  runs=0
  while (( $(date +%s) - start < budget )); do
    if ! PROPTEST_CASES=$per_run cargo test --release -q -p "$crate" "$target" "$name" \
      -- --exact --test-threads=1 >"$log" 2>&1; then
      cat "$log"
      echo "$crate $name: FAILED after $((runs * per_run)) cases in $(( $(date +%s) - start )) s" >&2
      exit 1
    fi
    runs=$((runs + 1))
  done
  echo "$crate $name: $((runs * per_run)) cases in $(( $(date +%s) - start )) s, no failure"
done
