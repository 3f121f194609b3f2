# Shared by the e2e scripts of oh-infra: paths, the CDK CLI from node_modules, and a clean
# environment that never reaches AWS (dummy credentials, no instance metadata, no telemetry).
# shellcheck shell=bash
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
CDK="$ROOT/node_modules/.bin/cdk"
# shellcheck disable=SC2034 # used by the scripts that source this file
HERE="$ROOT/tests/e2e/infra"

if [ -z "${OH_INFRA_BIN:-}" ] || [ ! -x "$OH_INFRA_BIN" ]; then
  echo "OH_INFRA_BIN must name a built oh-infra" >&2
  exit 2
fi
if [ ! -x "$CDK" ]; then
  echo "SKIP: $CDK missing (run scripts/setup.sh)" >&2
  exit 77
fi

export CDK_DISABLE_CLI_TELEMETRY=true NODE_NO_WARNINGS=1
export AWS_EC2_METADATA_DISABLED=true
export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN CDK_CONTEXT_JSON CONTEXT_OVERFLOW_LOCATION_ENV CDK_OUTDIR

WORK="$(mktemp -d /tmp/oh-infra-e2e.XXXXXX)"
cleanup_work() { if [ -n "${OH_E2E_KEEP:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi; }

# A frozen copy of the gateway's Docker build context (the files docker_asset.cpp hashes into
# the image tag): in a work tree others edit at the same time, the tag would otherwise change
# between a deploy and the diff that must find nothing.
mkdir -p "$WORK/context/deploy/instance"
cp -r "$ROOT/CMakeLists.txt" "$ROOT/CMakePresets.json" "$ROOT/cmake" "$ROOT/src" "$WORK/context/"
cp "$ROOT/deploy/gateway.Dockerfile" "$ROOT/deploy/gateway-image.sh" "$ROOT/deploy/openhands-release.env" "$WORK/context/deploy/"
# The instance's host files the image carries (deploy/gateway.Dockerfile, /opt/openhands/).
cp "$ROOT"/deploy/instance/{boot-services.sh,db-bootstrap.sh,gateway.toml.in,oh-firewall.sh} "$WORK/context/deploy/instance/"
if [ -f "$ROOT/.dockerignore" ]; then cp "$ROOT/.dockerignore" "$WORK/context/"; fi
export OH_PROJECT_ROOT="$WORK/context"

# A CDK project folder of our own, so cdk.out and cdk.context.json stay out of the repository.
printf '{"app": "%s/scripts/cdk-app"}\n' "$ROOT" >"$WORK/cdk.json"

# shellcheck disable=SC2034
REQUIRED=(-c vpcId=vpc-0123456789abcdef0 -c hostedZoneId=Z0123456789ABCDEFGHIJ -c domainName=example.com)

cdk() { (cd "$WORK" && timeout 300 "$CDK" --no-notices "$@"); }

fail() { echo "FAIL: $*" >&2; exit 1; }
