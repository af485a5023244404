#!/bin/bash
# Uses the job's token at the sandbox storage (XRootD with its SciTokens plugin), the way a real job uses a storage
# element: curl over HTTPS and xrdcp/xrdfs over roots://. The token comes from WLCG bearer token discovery: the
# sandbox's job wrapper exports BEARER_TOKEN_FILE (a bare token, mode 0600, kept fresh while the job runs), and
# SANDBOX_STORAGE_URL is the storage's HTTPS base URL.
#
# Usage: storage.sh            local-issuer token (read:/user/$USER write:/user/$USER): write, read back, list, and
#                              the refusals (someone else's directory, no token)
#        storage.sh public     OAuth token from the demo provider (read:/public): read /public, and the refusals
# Each step prints one line "<step>: <result>"; a refused step shows the storage's own answer.
set -u
mode=${1:-user}
me=${USER:-$(id -un)}
base=${SANDBOX_STORAGE_URL:?SANDBOX_STORAGE_URL is not set: is this the credmon-sandbox pool?}
xroot="roots://${base#https://}"   # the same host and port, xroot protocol over TLS
other=someone-else
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "storage: $base and $xroot, user $me"
echo "token: BEARER_TOKEN_FILE=${BEARER_TOKEN_FILE:-(unset)} mode $(stat -c %a "${BEARER_TOKEN_FILE:-/nonexistent}" 2>/dev/null || echo -)"
if [ -z "${BEARER_TOKEN_FILE:-}" ] || [ ! -s "$BEARER_TOKEN_FILE" ]; then
  echo "no bearer token: submit with use_oauth_services = scitokens" >&2
  exit 1
fi
# The token goes to curl in a header file (never on a command line, where `ps` would show it).
(umask 077; printf 'Authorization: Bearer %s\n' "$(cat "$BEARER_TOKEN_FILE")" > "$work/auth")

# http STEP METHOD PATH [curl args...]: prints "STEP: HTTP <code>" and keeps the body in $work/body.
http() {
  local step=$1 method=$2 path=$3 code
  shift 3
  code=$(curl -sS -o "$work/body" -w '%{http_code}' -X "$method" "$@" "$base$path" 2>"$work/err") || code="failed ($(head -c 200 "$work/err"))"
  echo "$step: HTTP $code"
}
# xrd STEP COMMAND...: prints "STEP: ok" or "STEP: refused (<the client's last message>)".
xrd() {
  local step=$1
  shift
  if "$@" >"$work/xout" 2>"$work/xerr"; then echo "$step: ok"
  else echo "$step: refused ($(grep -v '^$' "$work/xerr" | tail -n 1 | head -c 300))"; fi
}

if [ "$mode" = public ]; then
  http "read /public/hello.txt with curl" GET /public/hello.txt -H @"$work/auth"
  echo "  content: $(cat "$work/body")"
  xrd "read /public/hello.txt with xrdcp" xrdcp -f "$xroot//public/hello.txt" "$work/copy"
  echo "  content: $(cat "$work/copy" 2>/dev/null)"
  http "write /public/$me.txt with curl (the token only reads)" PUT "/public/$me.txt" -H @"$work/auth" --data-binary "from $me"
  http "read /user/$me/hello.txt with curl (not in the token's scope)" GET "/user/$me/hello.txt" -H @"$work/auth"
  http "read /public/hello.txt with curl and no token" GET /public/hello.txt
  exit 0
fi

echo "hello from job $(hostname) at $(date -u +%FT%TZ)" > "$work/hello.txt"
http "write /user/$me/hello.txt with curl" PUT "/user/$me/hello.txt" -H @"$work/auth" --data-binary @"$work/hello.txt"
http "read /user/$me/hello.txt with curl" GET "/user/$me/hello.txt" -H @"$work/auth"
echo "  content: $(cat "$work/body")"
xrd "write /user/$me/hello-xrdcp.txt with xrdcp" xrdcp -f "$work/hello.txt" "$xroot//user/$me/hello-xrdcp.txt"
xrd "read /user/$me/hello-xrdcp.txt with xrdcp" xrdcp -f "$xroot//user/$me/hello-xrdcp.txt" "$work/copy"
echo "  content: $(cat "$work/copy" 2>/dev/null)"
xrd "list /user/$me with xrdfs" xrdfs "$xroot" ls -l "/user/$me"
sed 's/^/  /' "$work/xout"

# Refusals: someone else's directory, and requests without a token.
http "write /user/$other/hello.txt with curl (someone else's directory)" PUT "/user/$other/hello.txt" -H @"$work/auth" --data-binary @"$work/hello.txt"
http "read /user/$other/hello.txt with curl (someone else's directory)" GET "/user/$other/hello.txt" -H @"$work/auth"
xrd "write /user/$other/hello.txt with xrdcp (someone else's directory)" xrdcp -f "$work/hello.txt" "$xroot//user/$other/hello.txt"
http "read /user/$me/hello.txt with curl and no token" GET "/user/$me/hello.txt"
xrd "read /user/$me/hello-xrdcp.txt with xrdcp and no token" env -u BEARER_TOKEN_FILE xrdcp -f "$xroot//user/$me/hello-xrdcp.txt" "$work/copy2"
