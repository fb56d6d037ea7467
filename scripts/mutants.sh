#!/usr/bin/env bash
# Mutation check: applies each deliberate bug in scripts/mutants.list, one at a time, to a
# scratch copy of this tree, rebuilds the test program that should catch it and runs the
# named tests. Prints KILLED or SURVIVED per mutation and exits non-zero if any survived,
# no longer applies (its `from` text is not found exactly once) or does not compile.
#
# Usage: scripts/mutants.sh [NAME…]    (default: every mutation on the list)
# The scratch copy and its build stay in $LACQUER_MUTANTS_DIR (default /tmp/lacquer-mutants),
# so a second run rebuilds only what changed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
list="$root/scripts/mutants.list"
work=${LACQUER_MUTANTS_DIR:-/tmp/lacquer-mutants}
src="$work/src"
build="$src/build"  # inside the copy, as in the tree: compiler caches see the same paths

# Mutations as records: name, file, from, to, test program, filter (unit separator between).
parse() {
  awk '
    function flush() { if (name != "") printf "%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\n", name, file, from, to, prog, filter; name = "" }
    /^#/ || /^[[:space:]]*$/ { next }
    {
      key = $1; value = $0; sub(/^[a-z]+[ ]+/, "", value)
      if (key == "name") { flush(); name = value; sub(/:.*/, "", name) }
      else if (key == "file") file = value
      else if (key == "from") from = value
      else if (key == "to") to = value
      else if (key == "test") { prog = $2; filter = $3 }
    }
    END { flush() }' "$list"
}

mapfile -t records < <(parse)
wanted=("$@")
selected=()
for r in "${records[@]}"; do
  IFS=$'\x1f' read -r name _ <<<"$r"
  if ((${#wanted[@]} == 0)) || [[ " ${wanted[*]} " == *" $name "* ]]; then selected+=("$r"); fi
done
((${#selected[@]})) || { echo "no mutation matches: $*" >&2; exit 2; }

echo "== scratch copy in $src"
# Only files whose content differs are copied, with a fresh time, so the scratch build
# rebuilds what changed since the last run and nothing else (a copy keeping the tree's
# times could leave objects built from a mutation, or from an older file, looking newer).
python3 - "$root" "$src" <<'PY'
import filecmp, os, shutil, sys
root, dst = sys.argv[1:3]
skip = lambda rel: rel.split(os.sep)[0].startswith(("build", ".git")) or "node_modules" in rel.split(os.sep)
wanted = set()
for base, dirs, files in os.walk(root):
    rel_base = os.path.relpath(base, root)
    dirs[:] = [d for d in dirs if not skip(os.path.normpath(os.path.join(rel_base, d)))]
    for f in files:
        rel = os.path.normpath(os.path.join(rel_base, f))
        wanted.add(rel)
        target = os.path.join(dst, rel)
        if os.path.isfile(target) and filecmp.cmp(os.path.join(root, rel), target, shallow=False):
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(os.path.join(root, rel), target)
        shutil.copymode(os.path.join(root, rel), target)
for base, dirs, files in os.walk(dst):
    rel_base = os.path.relpath(base, dst)
    dirs[:] = [d for d in dirs if not skip(os.path.normpath(os.path.join(rel_base, d)))]
    for f in files:
        rel = os.path.normpath(os.path.join(rel_base, f))
        if rel not in wanted:
            os.remove(os.path.join(dst, rel))
PY
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLACQUER_BUILD_TESTS=ON \
  -DLACQUER_BUILD_BENCH=OFF >/dev/null

program_path() { find "$build/tests" -type f -name "$1" -perm -u+x | head -n 1; }

run_tests() {  # program filter -> exit code of the tests
  local exe
  exe=$(program_path "$1")
  [[ -n $exe ]] || { echo "test program $1 not found" >&2; return 2; }
  (cd "$build" && timeout 900 "$exe" --gtest_filter="$2" --gtest_brief=1 >"$work/last-test.log" 2>&1)
}

# Replaces `from` by `to` in `file` when it occurs exactly once; exit 3 otherwise.
apply() {
  python3 - "$1" "$2" "$3" <<'PY'
import sys
path, old, new = sys.argv[1:4]
text = open(path, encoding="utf-8").read()
if text.count(old) != 1:
    sys.exit(3)
open(path, "w", encoding="utf-8").write(text.replace(old, new, 1))
PY
}

echo "== baseline: the unmutated tree passes every listed test"
declare -A baseline_done=()
for r in "${selected[@]}"; do
  IFS=$'\x1f' read -r name file from to prog filter <<<"$r"
  key="$prog $filter"
  [[ -n ${baseline_done[$key]:-} ]] && continue
  cmake --build "$build" --target "$prog" >"$work/last-build.log" 2>&1 ||
    { cat "$work/last-build.log"; echo "baseline build of $prog failed" >&2; exit 2; }
  run_tests "$prog" "$filter" ||
    { cat "$work/last-test.log"; echo "baseline fails: $prog $filter" >&2; exit 2; }
  baseline_done[$key]=1
done

killed=0 failed=0
for r in "${selected[@]}"; do
  IFS=$'\x1f' read -r name file from to prog filter <<<"$r"
  target="$src/$file"
  cp -p "$target" "$work/original"
  status=0
  apply "$target" "$from" "$to" || status=$?
  if ((status != 0)); then
    printf '%-28s STALE     "%s" is not found exactly once in %s\n' "$name" "$from" "$file"
    failed=$((failed + 1))
    continue
  fi
  start=$SECONDS
  if ! cmake --build "$build" --target "$prog" >"$work/last-build.log" 2>&1; then
    printf '%-28s BROKEN    does not compile (see %s)\n' "$name" "$work/last-build.log"
    failed=$((failed + 1))
  elif run_tests "$prog" "$filter"; then
    printf '%-28s SURVIVED  %s --gtest_filter=%s\n' "$name" "$prog" "$filter"
    failed=$((failed + 1))
  else
    caught=$(grep -m1 -E '^\[  FAILED  \] [A-Za-z]' "$work/last-test.log" | sed 's/^\[  FAILED  \] //; s/ (.*//' || true)
    printf '%-28s KILLED    by %s (%ds)\n' "$name" "${caught:-$prog}" $((SECONDS - start))
    killed=$((killed + 1))
  fi
  cp -p "$work/original" "$target"
  touch "$target"  # newer than the mutation's objects: the next build takes it back
done

echo "== $killed killed, $failed survived, stale or broken, of ${#selected[@]}"
((failed == 0))
