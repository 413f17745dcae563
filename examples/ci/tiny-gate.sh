#!/usr/bin/env bash
# The CI use of the harness end to end, offline, on the embedded tiny model (README "Regression gates").
#   examples/ci/tiny-gate.sh [CANDIDATE_VARIANT]      (trained | early; default early)
# Evaluates the trained checkpoint on the demo once (the baseline run), evaluates the candidate variant, and gates
# the candidate against the baseline with the paired bootstrap over the 32 clips. Exit code: the gate's (0 pass,
# 1 a significant regression, 2 bad input): the under-trained `early` checkpoint is rejected, a re-run of the
# trained one passes. RESULTS (default results/runs) holds the runs; TARSIER_EVAL (default tarsier-eval) is the CLI.
set -euo pipefail
candidate="${1:-early}"
results="${RESULTS:-results/runs}"
read -r -a te <<< "${TARSIER_EVAL:-tarsier-eval}"

if [[ ! -f "$results/tiny-baseline/scores.json" ]]; then
  "${te[@]}" run --tasks demo --model-args variant=trained --output "$results" --run-id tiny-baseline
fi
run_id="tiny-candidate-$candidate-$(date +%Y%m%d-%H%M%S)-$$"
"${te[@]}" run --tasks demo --model-args "variant=$candidate" --output "$results" --run-id "$run_id"
exec "${te[@]}" gate --baseline "$results/tiny-baseline" --candidate "$results/$run_id" --config gates.yaml
