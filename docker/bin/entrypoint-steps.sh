# shellcheck shell=bash
# entrypoint-steps.sh: the steps of docker/bin/entrypoint, one shell function per job, sourced by it (not run).
# Functions rather than scripts of their own, because the steps share the entrypoint's shell: the demo provider's
# defaults and the dropped client secrets must reach the environment supervisord inherits, the list of OAuth clients
# found once is read by four steps, and `die` must stop the whole start (a child script could change none of these).
# Each function reads the constants the entrypoint sets (CRED_DIR, TLS_DIR, SECRETS_DIR, RUNTIME_CONF, HTTPS_PORT,
# ISSUER, WEB_PREFIX, DEMO_ROBOT_SECRET); `providers` is set by find_oauth_clients, `demo_robot` by
# use_demo_provider_if_present.

say() { echo "entrypoint: $*" >&2; }
val() { local name=$1; printf '%s' "${!name:-}"; }
# conf KNOB VALUE: one line of HTCondor configuration; a value with a line break could inject other knobs.
conf() { [[ "$2" != *$'\n'* && "$2" != *$'\r'* ]] || die "$1 must be a single line"; printf '%s = %s\n' "$1" "$2"; }
die() { echo "entrypoint: ERROR: $*" >&2; exit 1; }

check_port_and_issuer() {
  [[ "$HTTPS_PORT" =~ ^[0-9]+$ ]] || die "SANDBOX_HTTPS_PORT=$HTTPS_PORT is not a port number"
  [[ "$ISSUER" =~ ^https?://[^/?#]+(/[^?#]*)?$ ]] || die "LOCAL_CREDMON_ISSUER=$ISSUER is not an http(s) URL"
}

# Extra CA certificates at run time (corporate proxies, private OAuth providers).
add_extra_ca_certs() {
  if [ -n "${EXTRA_CA_CERTS:-}" ]; then
    printf '%s\n' "$EXTRA_CA_CERTS" > /usr/local/share/ca-certificates/extra-runtime-ca.crt
  fi
}

# TLS: a certificate the user mounted, or a local CA and server certificate generated once.
make_tls_and_trust_ca() {
  "$LIBEXEC/make-tls" "$TLS_DIR" server "$(hostname)" "${SANDBOX_TLS_NAMES:-}" "$ISSUER" "$WEB_PREFIX"
  cp "$TLS_DIR/ca.crt" /usr/local/share/ca-certificates/credmon-sandbox-ca.crt
  "$LIBEXEC/trust-ca" || say "cannot add the sandbox CA to the trust store; HTTPS from inside the container may fail"
}

# The demo provider (docker compose --profile demo): when it runs next to us and no client is configured, the
# "scitokens" and "demo" providers become its two preregistered clients.
use_demo_provider_if_present() {
  if [ -z "${SCITOKENS_CLIENT_ID:-}" ] && [ "${SANDBOX_DEMO_PROVIDER:-auto}" != off ] \
    && getent hosts demo-provider >/dev/null 2>&1; then
    local demo_browser_url=${DEMO_PROVIDER_URL:-https://localhost:9443}
    say "demo provider found: scitokens and demo log in at $demo_browser_url (user demo, password demo)"
    export SCITOKENS_CLIENT_ID=credmon-sandbox-scitokens SCITOKENS_CLIENT_SECRET=demo-scitokens-secret
    export SCITOKENS_AUTHORIZATION_URL=$demo_browser_url/auth SCITOKENS_TOKEN_URL=https://demo-provider:9443/token
    export DEMO_CLIENT_ID=credmon-sandbox-demo DEMO_CLIENT_SECRET=demo-demo-secret
    export DEMO_AUTHORIZATION_URL=$demo_browser_url/auth DEMO_TOKEN_URL=https://demo-provider:9443/token
    if [ -s "$DEMO_ROBOT_SECRET" ]; then
      demo_robot=yes
      say "demo provider's robot client found: the client-credentials credmon gets robot.use for every user"
    else
      say "no robot client secret at $DEMO_ROBOT_SECRET (robot volume): the robot provider is not configured"
    fi
  fi
}

# robot_client_conf: the demo provider's client-credentials client as the credmon's client provider "robot", its
# secret installed root-only. Never robot_CLIENT_ID: HTCondor would take robot for a browser (OAuth) provider.
robot_client_conf() {
  local secret_file=$SECRETS_DIR/robot
  install -o root -g root -m 0600 "$DEMO_ROBOT_SECRET" "$secret_file"
  echo "# The demo provider's robot: the credmon gets each user's token with the client-credentials grant (no browser)."
  echo "# HTCondor >= 25.13.2 adds robot to every job (SUBMIT_ADD_LOCAL_CREDMON_PROVIDERS); robot.sub names it."
  conf CLIENT_CREDMON_PROVIDER_NAMES robot
  conf CLIENT_CREDMON_robot_CLIENT_ID robot
  conf CLIENT_CREDMON_robot_CLIENT_SECRET_FILE "$secret_file"
  conf CLIENT_CREDMON_robot_TOKEN_URL https://demo-provider:9443/token
  local template='storage.read:/user/{username} storage.create:/user/{username} storage.modify:/user/{username}'
  conf CLIENT_CREDMON_robot_AUTHZ_TEMPLATE "$template"
  conf CLIENT_CREDMON_robot_TOKEN_VERSION wlcg:1.0
  conf CLIENT_CREDMON_robot_TOKEN_AUDIENCE "${LOCAL_CREDMON_TOKEN_AUDIENCE:-https://localhost}"
}

# The root-only directory of installed client secrets, and /run/secrets made root-only.
make_secret_dirs_root_only() {
  install -d -o root -g root -m 0700 "$SECRETS_DIR"
  # Compose bind-mounts secret files into /run/secrets with the host file's owner and mode (often the host user's
  # uid, which is submitter's): only root may enter the directory, so no local user or job reads them, whatever the
  # mode.
  if [ -d /run/secrets ]; then
    { chown root:root /run/secrets && chmod 0700 /run/secrets; } || die "cannot make /run/secrets root-only"
  fi
}

# OAuth clients: SCITOKENS_* (build args or environment) and any other <SVC>_CLIENT_ID that is not empty.
find_oauth_clients() {
  providers=()
  local var
  for var in $(compgen -e | grep -E '^[A-Z][A-Z0-9]*_CLIENT_ID$' || true); do
    [ -n "${!var}" ] || continue
    providers+=("${var%_CLIENT_ID}")
  done
}

# install_client_secret SVC LOWER FILE: the secret of client SVC (LOWER: its name in lower case) into the root-only
# FILE. Precedence: <SVC>_CLIENT_SECRET_FILE, compose secret file, environment, a build-arg secret baked into the image.
install_client_secret() {
  local svc=$1 lower=$2 secret_file=$3 given_file reader
  local runtime_secret=/run/secrets/${lower}_client_secret
  given_file=$(val "${svc}_CLIENT_SECRET_FILE")
  if [ -n "$given_file" ] && [ -r "$given_file" ]; then
    reader=$("$LIBEXEC/who-can-read" "$given_file") \
      && die "${svc}_CLIENT_SECRET_FILE=$given_file can be read by the local user $reader (and so by their jobs):\
 mount it as the compose secret ${lower}_client_secret (/run/secrets is root-only) or below a directory only root\
 enters"
    install -o root -g root -m 0600 "$given_file" "$secret_file"
  elif [ -s "$runtime_secret" ]; then
    install -o root -g root -m 0600 "$runtime_secret" "$secret_file"
  elif [ -n "$(val "${svc}_CLIENT_SECRET")" ]; then
    (umask 077; val "${svc}_CLIENT_SECRET" > "$secret_file")
  elif [ -r "/etc/condor/.secrets-build/$lower" ]; then
    install -o root -g root -m 0600 "/etc/condor/.secrets-build/$lower" "$secret_file"
  else
    die "${svc}_CLIENT_ID is set but no client secret was given: provide the compose secret ${lower}_client_secret\
 (file /run/secrets/${lower}_client_secret), ${svc}_CLIENT_SECRET_FILE or ${svc}_CLIENT_SECRET"
  fi
}

# client_conf SVC: installs the client's secret and prints its knobs.
client_conf() {
  local svc=$1 lower suffix user_url
  # shellcheck disable=SC2018,SC2019 # a client name is [A-Z][A-Z0-9]*: ASCII only
  lower=$(echo "$svc" | tr 'A-Z' 'a-z')
  local secret_file="$SECRETS_DIR/$lower"
  install_client_secret "$svc" "$lower" "$secret_file"
  for suffix in AUTHORIZATION_URL TOKEN_URL; do
    [ -n "$(val "${svc}_${suffix}")" ] || die "${svc}_CLIENT_ID is set but ${svc}_${suffix} is empty"
  done
  conf "${svc}_CLIENT_ID" "$(val "${svc}_CLIENT_ID")"
  conf "${svc}_CLIENT_SECRET_FILE" "$secret_file"
  conf "${svc}_AUTHORIZATION_URL" "$(val "${svc}_AUTHORIZATION_URL")"
  conf "${svc}_TOKEN_URL" "$(val "${svc}_TOKEN_URL")"
  suffix=$(val "${svc}_RETURN_URL_SUFFIX"); conf "${svc}_RETURN_URL_SUFFIX" "${suffix:-/return/${lower}}"
  user_url=$(val "${svc}_USER_URL"); [ -z "$user_url" ] || conf "${svc}_USER_URL" "$user_url"
}

# runtime_conf: prints 60-sandbox-runtime.conf, installing the client secrets on the way.
runtime_conf() {
  local var svc
  echo "# Written by the credmon-sandbox entrypoint from the container environment at $(date -u +%FT%TZ). Do not edit:"
  echo "# it is rewritten at every start. Put your own settings in a later file such as 99-local.conf."
  conf LOCAL_CREDMON_ISSUER "$ISSUER"
  conf CREDMON_WEB_PREFIX "$WEB_PREFIX"
  # Every LOCAL_CREDMON_* / CREDMON_OAUTH_* / SEC_CREDENTIAL_* variable becomes the knob of the same name.
  for var in $(compgen -e | grep -E '^(LOCAL_CREDMON_|CREDMON_OAUTH_|SEC_CREDENTIAL_)' \
    | grep -vE '^(LOCAL_CREDMON_ISSUER|SEC_CREDENTIAL_DIRECTORY_OAUTH)$' || true); do
    conf "$var" "${!var}"
  done
  if [ ${#providers[@]} -eq 0 ]; then
    echo "# No OAuth client configured: a pure local issuer. condor_submit asks the credd for <user>/scitokens.top and"
    echo "# our credmon signs scitokens.use. CHECK_CREDS is off so the first submit of a new user already works."
    [ -n "${LOCAL_CREDMON_PROVIDER_NAME:-}" ] || conf LOCAL_CREDMON_PROVIDER_NAME scitokens
    echo "SEC_PROCESS_SUBMIT_TOKENS = false"
  else
    echo "# OAuth clients: ${providers[*]}"
    for svc in "${providers[@]}"; do client_conf "$svc"; done
    # test.sub names no scopes, because HTCondor >= 24.5 refuses scopes for a local issuer's token: here they are the
    # "scitokens" client's defaults (a submit file's own scitokens_oauth_permissions/_resource still win).
    if [ -n "${SCITOKENS_CLIENT_ID:-}" ]; then
      conf SCITOKENS_DEFAULT_SCOPES "${SCITOKENS_DEFAULT_SCOPES:-read:/public}"
      conf SCITOKENS_DEFAULT_AUDIENCE "${SCITOKENS_DEFAULT_AUDIENCE:-https://localhost}"
    fi
    # HTCondor >= 24.5 (the credd and condor_submit) takes "scitokens" for a local issuer's provider unless
    # LOCAL_CREDMON_PROVIDER_NAMES is set: a list without names says there is none, so it is an OAuth client here.
    echo 'if version >= 24.5.0'
    echo '  LOCAL_CREDMON_PROVIDER_NAMES = ,'
    echo 'endif'
    [ "$demo_robot" != yes ] || robot_client_conf
  fi
  [ -z "${CONDOR_EXTRA_CONFIG:-}" ] || printf '# CONDOR_EXTRA_CONFIG\n%s\n' "$CONDOR_EXTRA_CONFIG"
}

# HTCondor configuration from the environment, the secrets installed root-only and dropped from the environment.
write_runtime_conf() {
  local svc
  runtime_conf > "$RUNTIME_CONF.tmp"
  # The secrets are in root-only files now: no program started below (the web app runs as condor) inherits them.
  for svc in "${providers[@]}"; do unset "${svc}_CLIENT_SECRET"; done
  mv "$RUNTIME_CONF.tmp" "$RUNTIME_CONF"
  chmod 0644 "$RUNTIME_CONF"
  if [ ${#providers[@]} -eq 0 ]; then
    say "mode: local issuer ($ISSUER)"
  else
    say "mode: OAuth (${providers[*]}), local issuer at $ISSUER"
  fi
}

# make_local_provider_keys: a local provider with its own issuer key (LOCAL_CREDMON_<provider>_PRIVATE_KEY, HTCondor
# >= 24.3) needs that key to exist; the credmon never creates it (neither does upstream's), so in the sandbox it is
# made here once, root 0600, of LOCAL_CREDMON_<provider>_PRIVATE_KEY_ALGORITHM (ES256 or RS256). The default key
# (LOCAL_CREDMON_PRIVATE_KEY) is the credmon's to make.
make_local_provider_keys() {
  local name path alg
  while read -r name _ path; do
    [[ "$name" =~ ^LOCAL_CREDMON_(.+)_PRIVATE_KEY$ ]] && [ -n "$path" ] && [ ! -e "$path" ] || continue
    alg=$(condor_config_val "LOCAL_CREDMON_${BASH_REMATCH[1]}_PRIVATE_KEY_ALGORITHM" 2>/dev/null || echo ES256)
    install -d -o root -g root -m 0755 "$(dirname "$path")"
    case "${alg^^}" in
      RS256) (umask 077; openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$path.tmp") ;;
      *) (umask 077; openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$path.tmp") ;;
    esac || die "cannot create $path ($name)"
    mv "$path.tmp" "$path"
    say "made ${alg^^} issuer key $path ($name)"
  done < <(condor_config_val -dump -expanded '^LOCAL_CREDMON_.+_PRIVATE_KEY$' 2>/dev/null | grep -E '^LOCAL_CREDMON_')
}

# Daemon address files of the previous start (a restarted container keeps the log directory): HTCondor >= 24.12's
# schedd reads the credd's address once, when it starts, and hands it to condor_submit; a stale one would send every
# submit to the credd of the previous start ("startCommand to CredD failed"). Each daemon writes its own at start.
remove_stale_address_files() {
  local log_dir
  if log_dir=$(condor_config_val LOG); then rm -f "$log_dir"/.*_address "$log_dir"/.*_address.super; fi
}

# The pool: execute nodes (docker compose --profile cluster) authenticate with IDTOKENS signed by a pool key that is
# generated once here, on the "pool" volume they mount; never baked into the image.
make_pool_key_and_token() {
  local pool_dir=/var/lib/credmon-sandbox/pool
  install -d -o root -g root -m 0755 "$pool_dir"
  if [ ! -s "$pool_dir/POOL" ]; then
    openssl rand -base64 32 | condor_store_cred -c add -f "$pool_dir/POOL" -i - >/dev/null \
      || die "cannot create the pool signing key $pool_dir/POOL"
    say "pool signing key generated ($pool_dir/POOL, on the pool volume)"
  fi
  chmod 0600 "$pool_dir/POOL"
  "$LIBEXEC/sign-pool-token" \
    || die "cannot sign an IDTOKEN with the pool key $pool_dir/POOL: remove the pool volume to generate a new key"
}

# Whether the sandbox runs jobs itself is execute-watch's (SANDBOX_EXECUTE); a file left by an earlier run goes.
write_execute_switch() {
  rm -f /etc/condor/config.d/65-sandbox-execute.conf
  [ "${SANDBOX_EXECUTE:-auto}" != off ] || printf 'START = False\n' > /etc/condor/config.d/65-sandbox-execute.conf
}

# prepare_credential_directory: the credential directory, root:condor 2770 as condor_master creates it, without the
# previous start's CREDMON_COMPLETE, and without the other mode's tokens after a switch between local-issuer and OAuth
# mode on the same volume. This function is the one writer of the credential directory other than the credmon and the
# web app, which reach it only through the CredentialDirectory object (src/credentials).
prepare_credential_directory() {
  install -d -o root -g condor -m 2770 "$CRED_DIR"
  chown root:condor "$CRED_DIR"; chmod 2770 "$CRED_DIR"
  rm -f "$CRED_DIR/CREDMON_COMPLETE"
  # The credd accepts any existing <user>/scitokens.top (it ignores a .top that is not JSON), so a token of the other
  # mode would silently keep being used: a local token in OAuth mode, or a dead OAuth token in local mode.
  local mode=local mode_file=$CRED_DIR/.credmon-sandbox-mode removed name f names
  [ ${#providers[@]} -eq 0 ] || mode=oauth
  if [ -s "$mode_file" ] && [ "$(cat "$mode_file")" != "$mode" ]; then
    removed=0
    names=(scitokens); [ -z "${LOCAL_CREDMON_PROVIDER_NAME:-}" ] || names+=("$LOCAL_CREDMON_PROVIDER_NAME")
    for name in "${names[@]}"; do
      for f in "$CRED_DIR"/*/"$name".top "$CRED_DIR"/*/"$name".use "$CRED_DIR"/*/"$name".meta; do
        [ -e "$f" ] && rm -f "$f" && removed=$((removed + 1))
      done
    done
    say "switched from $(cat "$mode_file") to $mode mode: removed $removed credential file(s) of the previous mode\
 (scitokens)"
  fi
  printf '%s' "$mode" > "$mode_file"; chmod 0600 "$mode_file"
}

# nginx: TLS on the sandbox port, and on the issuer's port when it differs (so the issuer URL works inside). Sets
# `ports`, which the entrypoint's last line reports.
write_nginx_conf() {
  local issuer_port listen="" p
  ports="$HTTPS_PORT"
  issuer_port=$(echo "$ISSUER" | sed -nE 's#^https://(localhost|127\.0\.0\.1)(:([0-9]+))?(/.*)?$#\3#p')
  if [[ "$ISSUER" =~ ^https://(localhost|127\.0\.0\.1)(/|$) ]]; then issuer_port=443; fi
  if [ -n "$issuer_port" ] && [ "$issuer_port" != "$HTTPS_PORT" ]; then ports="$ports $issuer_port"; fi
  for p in $ports; do listen="${listen}    listen ${p} ssl;\n    listen [::]:${p} ssl;\n"; done
  sed -e "s#@LISTEN@#${listen}#" -e "s#@TLS_DIR@#${TLS_DIR}#g" /etc/credmon-sandbox/nginx.conf.template \
    > /etc/nginx/conf.d/credmon-sandbox.conf
  nginx -t -q || die "nginx rejects its configuration"
}
