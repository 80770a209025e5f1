#!/usr/bin/env bash
# Long local fuzzing: each Jazzer target (default: all seven) for EXECUTIONS runs (default
# 1,000,000), one JVM per target, with CI's settings (instrumentation of dev.ember.**, the 1 s
# per-input limit, the regex-injection hook off); then one line per target with executions, exec/s,
# wall time and the result. Findings land in engine/src/test/resources/.../<Target>Inputs/ (keep
# them: they replay as regression cases), the grown corpus in engine/.cifuzz-corpus/, the logs in
# engine/target/fuzz-<Target>.log.
#   tools/fuzz-all.sh [EXECUTIONS [TARGET...]]   (FUZZ_MAX_DURATION=30m also bounds each target's time; FUZZ_INPUT_TIMEOUT="10 s" on a loaded machine)
# To see where a slow target spends its time, replay its corpus without Jazzer under a profiler:
#   java -XX:StartFlightRecording=filename=r.jfr -cp engine/target/test-classes:engine/target/classes:<test classpath> \
#     dev.ember.engine.testing.FuzzReplay <target class> <method> <rounds> engine/.cifuzz-corpus/<class>/<method> ...
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${1:-1000000}"
DURATION="${FUZZ_MAX_DURATION:-4h}"   # a time bound per target as well (the first of the two ends it)
INPUT_TIMEOUT="${FUZZ_INPUT_TIMEOUT:-1 s}"   # one input running longer is a finding (issue 16's bar)
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(RegexFuzzTest TokenizerFuzzTest JsonSchemaFuzzTest ChatTemplateFuzzTest TokenizerJsonFuzzTest GgufFuzzTest CheckpointFuzzTest)
cd "$ROOT"
[ -n "${FUZZ_NO_BUILD:-}" ] || mvn -o -q -B -pl engine test-compile -Dember.nofuzz || exit 1
status=0
rows=()
for t in "${TARGETS[@]}"; do
  log="$ROOT/engine/target/fuzz-$t.log"
  start=$(date +%s)
  JAZZER_FUZZ=1 mvn -o -B --no-transfer-progress -Dstyle.color=never -pl engine surefire:test -Dtest="$t" \
      -Djazzer.max_executions="$RUNS" -Djazzer.max_duration="$DURATION" -Djazzer.instrument='dev.ember.**' \
      -Djunit.jupiter.execution.timeout.default="$INPUT_TIMEOUT" -Djunit.jupiter.execution.timeout.mode=disabled \
      -Djazzer.disabled_hooks=com.code_intelligence.jazzer.sanitizers.RegexInjection >"$log" 2>&1
  rc=$?
  wall=$(( $(date +%s) - start ))
  runs=$(grep -aoE '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1 | awk '{print $2 " runs in " $5 " s of fuzzing"}')
  rate=$(grep -aoE 'DONE .*exec/s: [0-9]+' "$log" | tail -1 | grep -oE 'exec/s: [0-9]+')
  result=ok
  [ $rc -eq 0 ] || { result="FINDING (see $log)"; status=1; }
  rows+=("$t | ${runs:-?} | ${rate:-?} | ${wall} s wall (JVM and replay included) | $result")
  echo "${rows[-1]}"
done
echo
echo "target | executions | exec/s | wall | result"
printf '%s\n' "${rows[@]}"
exit $status
