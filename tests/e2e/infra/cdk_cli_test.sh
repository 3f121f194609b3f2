#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The stock CDK CLI drives oh-infra: ls, synth, --context, a missing key, the overflow file,
# schema validation of the assembly, cfn-lint on every template, deterministic output.
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"
trap cleanup_work EXIT

echo "== cdk ls lists the seven stacks in dependency order"
got="$(cdk ls "${REQUIRED[@]}")"
want="OpenHands-Auth
OpenHands-Network
OpenHands-Monitoring
OpenHands-Security
OpenHands-Database
OpenHands-Compute
OpenHands-Edge"
[ "$(sort <<<"$got")" = "$(sort <<<"$want")" ] || fail "cdk ls gave: $got"

echo "== two Edge stacks with two suffixes"
cdk ls "${REQUIRED[@]}" -c edgeStackSuffix=Alpha | grep -qx 'OpenHands-Edge-Alpha' || fail "no OpenHands-Edge-Alpha"
cdk ls "${REQUIRED[@]}" -c edgeStackSuffix=Beta | grep -qx 'OpenHands-Edge-Beta' || fail "no OpenHands-Edge-Beta"
cdk ls "${REQUIRED[@]}" -c edgeStackSuffix=Beta | grep -qx 'OpenHands-Edge' && fail "unsuffixed Edge stack with a suffix"

echo "== a missing required key fails with its message"
if out="$(cdk ls -c hostedZoneId=Z0123456789ABCDEFGHIJ -c domainName=example.com 2>&1)"; then
  fail "cdk ls succeeded without vpcId"
fi
grep -q 'vpcId is required: pass --context vpcId=vpc-0123456789abcdef0' <<<"$out" || fail "message missing: $out"
if out="$(cdk ls "${REQUIRED[@]}" -c region=mars-1 2>&1)"; then fail "accepted region mars-1"; fi
grep -q 'region must be an AWS region name' <<<"$out" || fail "region message missing: $out"

echo "== cdk synth, with --context reaching the app"
cdk synth -q "${REQUIRED[@]}" -c domainName=ctx-check.example.org -c region=us-west-2 >/dev/null
out="$WORK/cdk.out"
grep -lq 'ctx-check.example.org' "$out"/*.template.json || fail "domainName from --context not in any template"
grep -q '"environment": "aws://unknown-account/us-west-2"' "$out/manifest.json" || fail "region not in manifest"
grep -q '"environment": "aws://unknown-account/us-east-1"' "$out/manifest.json" || fail "us-east-1 stacks missing"

echo "== the CLI's assembly is the one oh-infra synth writes"
"$OH_INFRA_BIN" synth --out "$WORK/direct" "${REQUIRED[@]}" -c domainName=ctx-check.example.org -c region=us-west-2
for file in "$WORK/direct"/*.json; do
  name="$(basename "$file")"
  cmp -s "$out/$name" "$file" || fail "$name differs between cdk synth and oh-infra synth"
done

echo "== the assembly validates strictly against @aws-cdk/cloud-assembly-schema"
(cd "$ROOT" && node "$HERE/validate_assembly.js" "$out")
# The validator itself must catch an invented field.
cp -r "$out" "$WORK/broken"
sed -i 's/"terminationProtection": false/"terminationProtection": false, "bogusField": 1/' "$WORK/broken/manifest.json"
if (cd "$ROOT" && node "$HERE/validate_assembly.js" "$WORK/broken" >/dev/null 2>&1); then
  fail "validator accepted an unknown field"
fi

echo "== cfn-lint: 0 errors and no I3011 (a stateful resource without explicit policies) on every template"
templates="$(node -e '
  const m = require(process.argv[1]);
  for (const a of Object.values(m.artifacts)) if (a.type === "aws:cloudformation:stack") console.log(a.properties.templateFile);
' "$out/manifest.json")"
[ "$(wc -l <<<"$templates")" = 7 ] || fail "expected 7 templates in the manifest: $templates"
for name in $templates; do
  template="$out/$name"
  rc=0
  cfn-lint --format parseable --include-checks I -- "$template" >"$WORK/lint.txt" 2>&1 || rc=$?
  if (( rc & 1 )) || (( rc & 2 )); then
    cat "$WORK/lint.txt" >&2
    fail "cfn-lint errors in $(basename "$template") (exit $rc)"
  fi
  if grep ':I3011:' "$WORK/lint.txt" >&2; then
    fail "stateful resources without DeletionPolicy/UpdateReplacePolicy in $(basename "$template")"
  fi
  echo "   $(basename "$template"): $(grep -c . "$WORK/lint.txt" || true) warnings/info"
done

echo "== large context through CONTEXT_OVERFLOW_LOCATION_ENV"
mkdir -p "$WORK/overflow"
printf '{"domainName":"overflow.example.net","hostedZoneId":"Z0123456789ABCDEFGHIJ"}' >"$WORK/overflow/context.json"
CDK_OUTDIR="$WORK/overflow/out" CDK_CONTEXT_JSON='{"vpcId":"vpc-0123456789abcdef0"}' \
  CONTEXT_OVERFLOW_LOCATION_ENV="$WORK/overflow/context.json" "$OH_INFRA_BIN"
grep -lq 'overflow.example.net' "$WORK/overflow/out"/*.template.json || fail "overflow context not used"

echo "== determinism: two synths are byte-identical"
"$OH_INFRA_BIN" synth --out "$WORK/a" "${REQUIRED[@]}" -c region=eu-west-1
"$OH_INFRA_BIN" synth --out "$WORK/b" "${REQUIRED[@]}" -c region=eu-west-1
diff -r "$WORK/a" "$WORK/b" || fail "two synths differ"
[ "$(find "$WORK/a" -name '.oh-infra-staging*' | wc -l)" = 0 ] || fail "staging folder left behind"

echo "PASS"
