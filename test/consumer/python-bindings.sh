#!/usr/bin/env bash
# Python bindings as far as this machine allows: jsii-pacmak generates the Python package's code (its npm pack
# runs the build), and every generated module must compile. Building a wheel, installing it and importing it need
# the `jsii`, `aws-cdk-lib` and `constructs` Python packages from a Python package index, which this machine cannot
# reach: that part is not verified here (README, "Python").
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cd "$root"
npx jsii-pacmak --targets python --code-only -o "$out" >"$out/pacmak.log" 2>&1 || { tail -30 "$out/pacmak.log"; exit 1; }
module="$(find "$out/python" -path '*/src/cdk_bluegreen/__init__.py' | head -1)"
[ -n "$module" ] || { echo "no cdk_bluegreen/__init__.py in $out/python"; find "$out" -maxdepth 4; exit 1; }
python3 -m compileall -q "$(dirname "$module")" >/dev/null
for cls in BlueGreenService ServiceAlarms BlueGreenDashboard AutoRollback BakedImage ReleaseManifest IBlueGreenService; do
  grep -q "^class ${cls}\b" "$module" || { echo "class $cls missing from the Python module"; exit 1; }
done
grep -q 'def grant_release(' "$module" || { echo "grant_release missing from the Python module"; exit 1; }
echo "python: $(grep -c '^class ' "$module") classes in $(realpath --relative-to="$out" "$module"), all compiled"
