#!/usr/bin/env bash
# The one command for every benchmark of SPEC §11 (published in BENCHMARKS.md):
#
#   benches/run.sh            # all of them, ~15 minutes on 2 cores once built
#   benches/run.sh drain      # some of them: ingest drain rta_latency scale backlog start
#
# Installs the reference tools if missing (sqlite3, wrk: Debian packages), builds the release
# binary once (`cargo build --release --locked`; the benches reuse it: their profile is the
# release profile), prints the machine, then runs each bench; each prints ours, its reference
# measured in the same run, the ratio and the SPEC target. The output is also kept in
# target/bench-results.txt. Benchmarks are not tests: `cargo test` never asserts a time.
set -euo pipefail
cd "$(dirname "$0")/.."

all=(ingest drain rta_latency scale backlog start)
benches=("$@")
[ ${#benches[@]} -eq 0 ] && benches=("${all[@]}")

missing=()
command -v sqlite3 >/dev/null || missing+=(sqlite3)
command -v wrk >/dev/null || missing+=(wrk)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} (the benchmarks' references)"
  if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
  "${sudo[@]}" apt-get install -y "${missing[@]}" >/dev/null 2>&1 ||
    { "${sudo[@]}" apt-get update >/dev/null && "${sudo[@]}" apt-get install -y "${missing[@]}" >/dev/null; }
fi

cargo build --release --locked
out=target/bench-results.txt
{
  echo "== machine"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "memory: $(grep MemTotal /proc/meminfo | awk '{printf "%.1f GiB", $2 / 1048576}')"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "rustc: $(rustc --version)"
  echo "sqlite3: $(sqlite3 --version | cut -d' ' -f1)   wrk: $(wrk --version 2>&1 | head -1 | cut -d' ' -f2)"
} | tee "$out"
for bench in "${benches[@]}"; do
  echo
  echo "== $bench"
  # One failing bench is reported and the others still run.
  { cargo bench --locked --bench "$bench" 2>&1 || echo "($bench FAILED)"; } |
    grep --line-buffered -Ev '^ *(Compiling|Finished|Running) ' || true
done | tee -a "$out"
