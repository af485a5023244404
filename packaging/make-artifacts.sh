#!/bin/sh
# make-artifacts.sh STAGE OUT: runs inside packaging/Dockerfile. STAGE/app holds package.json, dist/ (compiled) and the
# production node_modules/. Writes OUT/credmon-sandbox_<version>_all.deb and OUT/credmon-sandbox-<version>.tar.gz,
# both byte-for-byte reproducible for a given SOURCE_DATE_EPOCH (sorted entries, fixed owners and times, gzip -n).
set -eu
stage=$1; out=$2
here=$(dirname "$0")
: "${SOURCE_DATE_EPOCH:=0}"
export SOURCE_DATE_EPOCH
name=credmon-sandbox
version=$(sed -nE 's/^  "version": "([^"]+)".*/\1/p' "$stage/app/package.json")
min_node=$(sed -nE 's/^    "node": ">=([0-9]+\.[0-9]+).*/\1/p' "$stage/app/package.json")
[ -n "$version" ] && [ -n "$min_node" ] || { echo "make-artifacts: cannot read version and engines.node from package.json" >&2; exit 1; }
install -d "$out"

# fill TEMPLATE TARGET MODE APP_DIR LIBEXEC: a launcher, unit or example with its paths filled in.
fill() {
  awk -v app="$4" -v libexec="$5" -v min="$min_node" -v ver="$version" '
    { gsub(/@APP_DIR@/, app); gsub(/@LIBEXEC@/, libexec); gsub(/@MIN_NODE@/, min); gsub(/@VERSION@/, ver); print }' "$1" > "$2"
  chmod "$3" "$2"
}

# add_common ROOT APP LIBEXEC DOC UNIT INSTALLED_APP INSTALLED_LIBEXEC LAUNCHER_APP: the tree both artifacts share.
# APP..UNIT are where files go under ROOT; INSTALLED_* are the paths the admin sees (written into the examples and
# the unit); LAUNCHER_APP is how a launcher finds the app (a fixed path, or a shell expression).
add_common() {
  root=$1; app=$2; libexec=$3; doc=$4; unit=$5; iapp=$6; ilibexec=$7; launcher_app=$8
  install -d "$root$app" "$root$libexec" "$root$doc/examples" "$root$unit"
  cp -a "$stage/app/package.json" "$stage/app/dist" "$stage/app/node_modules" "$root$app/"
  for f in credmon web credmon-key credmon-status; do
    fill "$here/launchers/$f" "$root$libexec/$f" 0755 "$launcher_app" "$ilibexec"
  done
  fill "$here/launchers/node-env.sh" "$root$libexec/node-env.sh" 0644 "$launcher_app" "$ilibexec"
  fill "$here/condor/60-credmon-sandbox.conf" "$root$doc/examples/60-credmon-sandbox.conf" 0644 "$iapp" "$ilibexec"
  fill "$here/web-server/nginx.conf" "$root$doc/examples/nginx-credmon-sandbox.conf" 0644 "$iapp" "$ilibexec"
  fill "$here/web-server/apache.conf" "$root$doc/examples/apache-credmon-sandbox.conf" 0644 "$iapp" "$ilibexec"
  fill "$here/systemd/credmon-sandbox-web.service" "$root$unit/credmon-sandbox-web.service" 0644 "$iapp" "$ilibexec"
  fill "$here/README.txt" "$root$doc/README" 0644 "$iapp" "$ilibexec"
  fill "$here/debian/copyright" "$root$doc/copyright" 0644 "$iapp" "$ilibexec"
}

# normalize ROOT: fixed modes and times, so the archives depend only on the content.
normalize() {
  find "$1" -type d -exec chmod 0755 {} +
  find "$1" -type f ! -perm -0100 -exec chmod 0644 {} +
  find "$1" -type f -perm -0100 -exec chmod 0755 {} +
  find "$1" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
}

# --- .deb --------------------------------------------------------------------------------------------------------
deb=$(mktemp -d)
add_common "$deb" /usr/lib/$name /usr/libexec/$name /usr/share/doc/$name /usr/lib/systemd/system \
  /usr/lib/$name /usr/libexec/$name /usr/lib/$name
install -d "$deb/DEBIAN" "$deb/usr/sbin"
ln -s /usr/libexec/$name/credmon-key "$deb/usr/sbin/credmon-key"
ln -s /usr/libexec/$name/credmon-status "$deb/usr/sbin/credmon-status"
size=$(du -sk --exclude=DEBIAN "$deb" | cut -f1)
fill "$here/debian/control" "$deb/DEBIAN/control" 0644 /usr/lib/$name /usr/libexec/$name
printf 'Installed-Size: %s\n' "$size" >> "$deb/DEBIAN/control"
for s in postinst prerm; do fill "$here/debian/$s" "$deb/DEBIAN/$s" 0755 /usr/lib/$name /usr/libexec/$name; done
normalize "$deb"
dpkg-deb --root-owner-group -Zxz --build "$deb" "$out/${name}_${version}_all.deb" >/dev/null
rm -rf "$deb"

# --- tarball: unpack anywhere (e.g. /opt); the launchers find the app next to themselves ---------------------------
tdir=$(mktemp -d)
top=$name-$version
# The examples and the unit name /opt/credmon-sandbox (a symbolic link to the unpacked directory, see the docs).
# shellcheck disable=SC2016 # expanded by the launcher at run time, not here
add_common "$tdir/$top" "" /libexec /share/doc /share/systemd /opt/$name /opt/$name/libexec \
  '$(dirname "$(dirname "$(readlink -f "$0")")")'
normalize "$tdir"
(cd "$tdir" && tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -cf - "$top") | gzip -9n > "$out/$top.tar.gz"
rm -rf "$tdir"
(cd "$out" && sha256sum -- *.deb *.tar.gz > SHA256SUMS)
cat "$out/SHA256SUMS"
