# Sourced by the bench scripts: `models_from FILE...` sets the array `models` to the model
# files given, as absolute paths (the scripts change to the repository root afterwards),
# and stops the script with an error naming the first one that is not a file.
models_from() {
  models=()
  local m
  for m in "$@"; do
    [ -f "$m" ] || { echo "no model file $m" >&2; exit 2; }
    models+=("$(cd "$(dirname "$m")" && pwd)/$(basename "$m")")
  done
}
