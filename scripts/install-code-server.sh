#!/usr/bin/env bash
# Installs code-server (a real VS Code served to a browser) once into a cache folder, for the
# extension-host tests, the UI tests and `npm run demo` on machines without desktop VS Code.
# Not a package.json dependency: it is large and has native builds.
set -euo pipefail
version="${CODE_SERVER_VERSION:-4.100.3}"
cache="${MLOPS_CACHE_DIR:-$HOME/.cache/mlops-workbench}"
dir="$cache/code-server-$version"
bin="$dir/node_modules/.bin/code-server"
if [ -x "$bin" ] && "$bin" --version >/dev/null 2>&1; then
  echo "$bin"
  exit 0
fi
command -v rg >/dev/null || { echo "code-server needs ripgrep: apt-get install -y ripgrep" >&2; exit 1; }
[ -e /usr/include/krb5.h ] || [ -e /usr/include/gssapi/gssapi.h ] || { echo "code-server needs libkrb5-dev: apt-get install -y libkrb5-dev" >&2; exit 1; }
mkdir -p "$dir"
# @vscode/ripgrep's postinstall downloads ripgrep unless the asset is already cached; offer it
# the system's rg packed the way the asset is.
tmp="${TMPDIR:-/tmp}"
rgcache="$tmp/vscode-ripgrep-cache-1.15.11"
mkdir -p "$rgcache"
asset="$rgcache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
if [ ! -s "$asset" ]; then
  stage="$(mktemp -d)"
  cp "$(command -v rg)" "$stage/rg"
  tar -czf "$asset" -C "$stage" rg
  rm -rf "$stage"
fi
cd "$dir"
[ -f package.json ] || echo '{"name":"code-server-cache","private":true}' > package.json
echo "installing code-server $version into $dir (about a minute)…" >&2
npm_config_unsafe_perm=true npm_config_yes=true npm install --no-audit --no-fund --loglevel=error "code-server@$version" >&2
"$bin" --version >&2
echo "$bin"
