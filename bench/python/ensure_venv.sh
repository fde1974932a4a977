# Creates or refreshes .venv-bench/ (repo root) with bench/python/requirements.txt for the bench-only Python references (Keras, openTSNE, umap-learn); prints its python path.
# Usage (no shebang on purpose, run it with bash): PY="$(bash bench/python/ensure_venv.sh)"   (PYTHON=python3.11 to choose the interpreter that makes the venv)
# Idempotent: a stamp file holds a hash of the requirements and the interpreter's version, and pip runs only when it
# differs or the venv is missing/broken. pip's output is shown only if pip fails. Status lines go to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
req="$here/requirements.txt"
venv="$root/.venv-bench"
py="$venv/bin/python"
stamp="$venv/.bench-requirements.sha256"
base_python="${PYTHON:-python3}"

say() { echo "[bench-python] $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

[[ -f "$req" ]] || die "requirements file not found: $req"
command -v "$base_python" >/dev/null 2>&1 || die "no Python interpreter '$base_python' (set PYTHON=...)"

pyver='import sys; print(sys.version)'
base_version="$("$base_python" -c "$pyver")"
want="$( { cat "$req"; echo "$base_version"; } | sha256sum | cut -d' ' -f1)"
if [[ -x "$py" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && "$py" -c '' >/dev/null 2>&1; then
  echo "$py"
  exit 0
fi

log="$(mktemp "${TMPDIR:-/tmp}/bench-python-pip.XXXXXX")"
trap 'rm -f "$log"' EXIT
t0=$SECONDS
if [[ "$("$py" -c "$pyver" 2>/dev/null || true)" != "$base_version" ]]; then
  say "creating $venv (Python ${base_version%% *})"
  "$base_python" -m venv --clear "$venv" >"$log" 2>&1 || { cat "$log" >&2; die "python -m venv failed"; }
fi
rm -f "$stamp"
say "installing bench/python/requirements.txt into $venv (first time: ~250 MB tensorflow-cpu wheel plus openTSNE, umap-learn and numba; ~2 GB installed)"
if ! "$py" -m pip install --disable-pip-version-check --no-input -r "$req" >"$log" 2>&1; then
  grep -vE '^(WARNING: Location|Looking in)' "$log" | tail -n 60 >&2
  die "pip install -r $req failed (output above)"
fi
echo "$want" >"$stamp"
say "ready in $((SECONDS - t0)) s"
echo "$py"
