#!/usr/bin/env bash
# Where `cdk synth` spends its time (issue 17): each step of the round trip measured in the
# same run, best of N, and printed with its ratio to oh-infra's own synthesis:
#   oh-infra synth        the C++ app alone (OH_INFRA_BIN, else build/release's)
#   scripts/cdk-app       the app command of cdk.json as the CLI runs it (env, bash, exec)
#   cmake --build (no-op) what cdk-app used to run on every synth to find out oh-infra was current
#   node -e 0             node's own start
#   cdk --version         the CDK CLI's start (loading its 16 MB bundle), no synthesis
#   cdk synth -q          the whole round trip, notices off (cdk.json "notices": false)
#   cdk synth -q --notices  the same with the notices refresh (a network fetch; none here)
# Usage: bench/infra/cdk_synth_bench.sh [ROUNDS]   (default 5; run on a quiet machine)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds=${1:-5}
bin=${OH_INFRA_BIN:-$root/build/release/src/infra/app/oh-infra}
cdk="$root/node_modules/.bin/cdk"
[ -x "$bin" ] || { echo "no oh-infra at $bin: build the release preset or set OH_INFRA_BIN" >&2; exit 2; }
[ -x "$cdk" ] || { echo "no CDK CLI: run scripts/setup.sh" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '{"app": "%s/scripts/cdk-app", "notices": false}\n' "$root" >"$work/cdk.json"
export OH_INFRA_BIN="$bin" CDK_DISABLE_CLI_TELEMETRY=true AWS_EC2_METADATA_DISABLED=true
context='{"vpcId":"vpc-0123456789abcdef0","hostedZoneId":"Z0123456789ABCDEFGHIJ","domainName":"example.com"}'
args=(-c vpcId=vpc-0123456789abcdef0 -c hostedZoneId=Z0123456789ABCDEFGHIJ -c domainName=example.com)

best() { # best wall time in ms of a command run $rounds times
  local best_ms="" start end ms
  for _ in $(seq "$rounds"); do
    start=$(date +%s%N)
    (cd "$work" && "$@") >/dev/null 2>&1
    end=$(date +%s%N)
    ms=$(((end - start) / 1000000))
    if [ -z "$best_ms" ] || [ "$ms" -lt "$best_ms" ]; then best_ms=$ms; fi
  done
  echo "$best_ms"
}
line() { printf '%-26s %7s ms  %6s x oh-infra synth\n' "$1" "$2" "$(awk -v a="$2" -v b="$base" 'BEGIN{printf "%.1f", a/(b>0?b:1)}')"; }

base=$(best "$bin" synth --out "$work/direct" "${args[@]}")
line "oh-infra synth" "$base"
line "scripts/cdk-app" "$(best env CDK_OUTDIR="$work/app" CDK_CONTEXT_JSON="$context" "$root/scripts/cdk-app")"
if [ -f "$root/build/release/build.ninja" ]; then
  line "cmake --build (no-op)" "$(best cmake --build "$root/build/release" --target oh-infra)"
fi
line "node -e 0" "$(best node -e 0)"
line "cdk --version" "$(best "$cdk" --version)"
line "cdk synth -q" "$(best "$cdk" synth -q "${args[@]}")"
line "cdk synth -q --notices" "$(best "$cdk" synth -q --notices "${args[@]}")"
echo "(best of $rounds; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
