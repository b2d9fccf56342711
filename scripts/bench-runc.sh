#!/usr/bin/env bash
# scripts/bench runc [N]: see scripts/bench.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-20}
[ "$(id -u)" = 0 ] || { echo "bench runc: needs root" >&2; exit 1; }
bash "$here/scripts/bundle" runc # what ./engine runc loads when current (see main.ts)
tmp=$(mktemp -d /tmp/engine-bench-XXXXXX)
cleanup() {
  for r in engine runc crun; do
    [ -d "$tmp/root-$r" ] || continue
    for id in $(ls "$tmp/root-$r" 2>/dev/null); do
      case $r in
      engine) "$here/engine" runc --root "$tmp/root-$r" delete -f "$id" || true ;;
      runc) runc --root "$tmp/root-$r" delete -f "$id" || true ;;
      crun) unshare -m --propagation private sh -c \
        "umount /sys/fs/cgroup/unified 2>/dev/null; crun --root $tmp/root-$r delete -f $id" || true ;;
      esac
    done
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

# One bundle: busybox-static, `runc spec` defaults, terminal off, running `true`.
mkdir -p "$tmp/bundle/rootfs/bin"
cp /bin/busybox "$tmp/bundle/rootfs/bin/busybox"
for a in sh true; do ln -s busybox "$tmp/bundle/rootfs/bin/$a"; done
(cd "$tmp/bundle" && "$here/engine" runc spec)
sed -i 's/"terminal": true/"terminal": false/; s/"sh"$/"true"/' "$tmp/bundle/config.json"
grep -q '"true"' "$tmp/bundle/config.json"

now() { date +%s%N; }
run_engine() { "$here/engine" runc --root "$tmp/root-engine" run --bundle "$tmp/bundle" "b$1"; }
run_runc() { runc --root "$tmp/root-runc" run --bundle "$tmp/bundle" "b$1"; }
# The floor under ours: Deno starting and exiting an empty program, with ./engine's flags.
echo "" >"$tmp/empty.js"
run_deno_empty() { deno run -A --no-prompt --quiet --cached-only --no-check "$tmp/empty.js"; }
# crun refuses this host's hybrid layout unless /sys/fs/cgroup/unified is unmounted in a
# private mount namespace; the timing is taken inside it (unshare itself not counted).
run_crun() {
  unshare -m --propagation private bash -c "umount /sys/fs/cgroup/unified 2>/dev/null
    s=\$(date +%s%N); crun --root $tmp/root-crun run --bundle $tmp/bundle b$1 </dev/null >/dev/null
    rc=\$?; e=\$(date +%s%N); echo \$(( (e - s) / 1000 )) >&3; exit \$rc" 3>>"$tmp/t-crun"
}

have_crun=1
if ! command -v crun >/dev/null || ! run_crun warm 2>"$tmp/crun.err"; then
  have_crun=0
  echo "note: crun skipped: $(head -c 200 "$tmp/crun.err")" >&2
fi
: >"$tmp/t-crun"
run_engine warm >/dev/null
run_runc warm >/dev/null

time_one() { # name i
  local s e
  s=$(now)
  "run_$1" "$2" </dev/null >/dev/null
  e=$(now)
  echo $(((e - s) / 1000)) >>"$tmp/t-$1"
}
for i in $(seq 1 "$n"); do
  time_one engine "$i"
  time_one runc "$i"
  time_one deno_empty "$i"
  if [ $have_crun = 1 ]; then run_crun "$i" </dev/null >/dev/null; fi
done

# Variant 2: create + start + delete (three runtime processes, as a shim drives them) on a
# bundle with cgroup limits (memory, pids, cpu) and the default seccomp profile.
mkdir -p "$tmp/bundle2"
cp -a "$tmp/bundle/rootfs" "$tmp/bundle2/rootfs"
deno eval --quiet "
  import { defaultSeccomp } from '$here/src/lib/seccomp_default.ts';
  const c = JSON.parse(Deno.readTextFileSync('$tmp/bundle/config.json'));
  c.linux.resources = { ...c.linux.resources, memory: { limit: 256 << 20 }, pids: { limit: 100 },
    cpu: { shares: 512, quota: 50000, period: 100000 } };
  c.linux.seccomp = defaultSeccomp(c.process.capabilities.bounding);
  Deno.writeTextFileSync('$tmp/bundle2/config.json', JSON.stringify(c));
"
csd() { # runtime-command... id
  local id=${*: -1} rt=("${@:1:$#-1}")
  "${rt[@]}" create --bundle "$tmp/bundle2" "$id" &&
    "${rt[@]}" start "$id" &&
    "${rt[@]}" delete -f "$id"
}
run_csd_engine() { csd "$here/engine" runc --root "$tmp/root-engine" "c$1"; }
run_csd_runc() { csd runc --root "$tmp/root-runc" "c$1"; }
run_csd_engine warm </dev/null >/dev/null
run_csd_runc warm </dev/null >/dev/null
for i in $(seq 1 "$n"); do
  time_one csd_engine "$i"
  time_one csd_runc "$i"
done

median() { sort -n "$1" | awk '{a[NR]=$1} END {m = NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.1f", m / 1000}'; }
# Per-round ratios (run i of ours / run i of the reference, taken back to back): median and
# interquartile range, the spread on a shared machine.
paired() { # ours reference
  paste "$1" "$2" | awk '{print $1 / $2}' | sort -n |
    awk '{a[NR]=$1} END {printf "%.2f [%.2f-%.2f]", a[int((NR+1)/2)], a[int(NR/4)+1], a[int(3*NR/4)+1]}'
}
mr=$(median "$tmp/t-runc")
printf "%-10s %10s %8s   %s\n" runtime median_ms vs_runc "per-round ratio, median [IQR]   ($n runs each, interleaved, run of \`true\`)"
for r in engine runc crun deno_empty; do
  [ -s "$tmp/t-$r" ] || continue
  m=$(median "$tmp/t-$r")
  printf "%-10s %10s %8s   %s\n" "$r" "$m" "$(awk -v a="$m" -v b="$mr" 'BEGIN {printf "%.2f", a / b}')" \
    "$(paired "$tmp/t-$r" "$tmp/t-runc")"
done
mc=$(median "$tmp/t-csd_runc")
printf "\n%-8s %10s %8s   %s\n" runtime median_ms vs_runc "per-round ratio   (create + start + delete, cgroup limits + default seccomp)"
for r in engine runc; do
  m=$(median "$tmp/t-csd_$r")
  printf "%-8s %10s %8s   %s\n" "$r" "$m" "$(awk -v a="$m" -v b="$mc" 'BEGIN {printf "%.2f", a / b}')" \
    "$(paired "$tmp/t-csd_$r" "$tmp/t-csd_runc")"
done
