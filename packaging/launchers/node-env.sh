# credmon-sandbox @VERSION@: sourced by the credmon and web launchers. Finds a Node.js >= @MIN_NODE@ (set
# CREDMON_SANDBOX_NODE to choose one, else `node` on PATH, else /usr/bin/node) or exits 1 with a message that says
# what to install; trusts the system's CA bundle (Debian or RHEL place) unless NODE_EXTRA_CA_CERTS is set.
node_env_fail() {
  echo "$1: $2" >&2
  command -v logger >/dev/null 2>&1 && logger -t credmon-sandbox -- "$1: $2" 2>/dev/null
  exit 1
}
NODE=${CREDMON_SANDBOX_NODE:-$(command -v node 2>/dev/null || echo /usr/bin/node)}
[ -x "$NODE" ] || node_env_fail "$prog" "Node.js not found ($NODE is not an executable): install Node.js @MIN_NODE@ or newer (Debian/Ubuntu: apt install nodejs; RHEL: dnf module install nodejs:20) or set CREDMON_SANDBOX_NODE"
node_version=$("$NODE" --version 2>/dev/null) || node_env_fail "$prog" "$NODE --version failed: is it Node.js?"
node_major=$(echo "$node_version" | sed -nE 's/^v([0-9]+)\..*/\1/p')
node_minor=$(echo "$node_version" | sed -nE 's/^v[0-9]+\.([0-9]+)\..*/\1/p')
node_min=@MIN_NODE@; min_major=${node_min%%.*}; min_minor=${node_min#*.}
if [ -z "$node_major" ] || [ "$node_major" -lt "$min_major" ] || { [ "$node_major" -eq "$min_major" ] && [ "$node_minor" -lt "$min_minor" ]; }; then
  node_env_fail "$prog" "$NODE is Node.js ${node_version:-of an unknown version}; credmon-sandbox needs @MIN_NODE@ or newer (Debian/Ubuntu: apt install nodejs; RHEL: dnf module install nodejs:20) or set CREDMON_SANDBOX_NODE"
fi
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ]; then
  for bundle in /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt; do
    if [ -r "$bundle" ]; then NODE_EXTRA_CA_CERTS=$bundle; export NODE_EXTRA_CA_CERTS; break; fi
  done
fi
