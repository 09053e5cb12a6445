#!/usr/bin/env bash
# The packed-tarball consumer test (issue 7): pack cdk-bluegreen, install the tarball into a project shaped the
# way `cdk init app --language typescript` shapes one today (TypeScript 7, tsx, @types/node 24, NodeNext; jest left
# out), synthesize offline with no AWS credentials, and run `npx bluegreen --help` from the consumer's folder.
# Each check prints `ok: ...` or `FAILED: ...`; the exit code is the number of failed checks.
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=0
check() { # check NAME CMD...
  local name=$1
  shift
  if "$@"; then echo "ok: consumer: $name"; else echo "FAILED: consumer: $name"; failed=$((failed + 1)); fi
}
started=$SECONDS

# 1. Pack (prepack builds: Lambda bundles, jsii, the CLI bundle).
if ! (cd "$root" && npm pack --silent --pack-destination "$work" >"$work/pack.out" 2>"$work/pack.err"); then
  cat "$work/pack.err"
  echo "FAILED: consumer: npm pack"
  exit 1
fi
tarball="$work/$(tail -n 1 "$work/pack.out")"
tar -tzf "$tarball" | sed 's#^package/##' | sort >"$work/files"
has() { grep -qx "$1" "$work/files" || { echo "  missing from the tarball: $1"; return 1; }; }
lacks() { ! grep -v '\.d\.ts$' "$work/files" | grep -Eq "$1" || { echo "  in the tarball but should not be: $(grep -v '\.d\.ts$' "$work/files" | grep -E "$1" | head -3 | tr '\n' ' ')"; return 1; }; }
check "tarball has compiled JS, .d.ts, .jsii, the Lambda bundles and the CLI" \
  bash -c "$(declare -f has); work='$work'; has dist/constructs/index.js && has dist/constructs/index.d.ts && has .jsii && has assets/release-guard/index.js && has assets/auto-rollback/index.js && has assets/dr-watcher/index.js && has assets/quarantine/index.js && has dist/cli/bluegreen.mjs && has README.md && has LICENSE"
check "tarball has no tests, CI files, TypeScript sources (only .d.ts) or reference app" \
  bash -c "$(declare -f lacks); work='$work'; lacks '^(test|\\.ci|bench|examples|releases|scripts|bin)/' && lacks '^(constructs|lib)/' && lacks '\\.ts$' && lacks 'reference-app'"
check "package.json: not private, no runtime dependencies, aws-cdk-lib and constructs as peers" \
  node -e '
    const p = JSON.parse(require("child_process").execFileSync("tar", ["-xzOf", process.argv[1], "package/package.json"]));
    const ok = !p.private && !p.dependencies && p.peerDependencies["aws-cdk-lib"] && p.peerDependencies.constructs && p.bin.bluegreen;
    if (!ok) { console.log("  ", JSON.stringify({ private: p.private, dependencies: p.dependencies, peers: p.peerDependencies, bin: p.bin })); process.exit(1); }' "$tarball"

# 2. A project as `cdk init app --language typescript` writes it (aws-cdk 2.1148).
app="$work/shop"
mkdir -p "$app"
cp -r "$root/test/consumer/app/." "$app/"
cat >"$app/package.json" <<JSON
{
  "name": "shop",
  "version": "0.1.0",
  "bin": { "shop": "bin/shop.js" },
  "scripts": { "build": "tsc", "cdk": "cdk" },
  "devDependencies": {
    "@types/node": "^24.10.1",
    "aws-cdk": "$(node -p 'require("'"$root"'/node_modules/aws-cdk/package.json").version')",
    "tsx": "^4.23.0",
    "typescript": "~7.0.2"
  },
  "dependencies": {
    "aws-cdk-lib": "$(node -p 'require("'"$root"'/node_modules/aws-cdk-lib/package.json").version')",
    "constructs": "$(node -p 'require("'"$root"'/node_modules/constructs/package.json").version')"
  }
}
JSON
cat >"$app/tsconfig.json" <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext", "lib": ["es2022"], "declaration": true,
    "strict": true, "noImplicitAny": true, "strictNullChecks": true, "noImplicitThis": true, "alwaysStrict": true,
    "noImplicitReturns": true, "inlineSourceMap": true, "inlineSources": true, "experimentalDecorators": true,
    "strictPropertyInitialization": false, "skipLibCheck": true, "typeRoots": ["./node_modules/@types"], "noEmit": true,
    "isolatedModules": true, "types": ["node"]
  },
  "exclude": ["node_modules", "cdk.out"]
}
JSON
echo '{ "app": "npx tsc && npx tsx bin/shop.ts" }' >"$app/cdk.json"

check "npm install of the tarball with aws-cdk-lib, constructs and TypeScript 7" \
  bash -c "cd '$app' && npm install --prefer-offline --no-audit --no-fund --loglevel=error '$tarball' >'$work/install.log' 2>&1 || { tail -20 '$work/install.log'; exit 1; }"

# 3. Offline synth, no credentials, no context lookup; then the CLI from the consumer's folder.
offline=(env -u AWS_PROFILE -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN AWS_EC2_METADATA_DISABLED=true CDK_DISABLE_CLI_TELEMETRY=true)
check "npx cdk synth offline (tsc with TypeScript 7, then tsx)" \
  bash -c "cd '$app' && ${offline[*]} npx cdk synth -q >'$work/synth.log' 2>&1 || { tail -30 '$work/synth.log'; exit 1; }"
check "the synthesized stack has both colours, the gates, the rollback function and the bake" \
  node -e '
    const t = require(process.argv[1]);
    // Composite alarms are counted as gates by name: the feature flags add a composite monitor of their own.
    const types = Object.values(t.Resources).map((r) => (r.Type === "AWS::CloudWatch::CompositeAlarm" && /-gate$/.test(r.Properties.AlarmName) ? "gate" : r.Type));
    const count = (type) => types.filter((x) => x === type).length;
    const want = { "AWS::AutoScaling::AutoScalingGroup": 2, gate: 2, "AWS::ImageBuilder::Image": 1, "Custom::BlueGreenReleaseGuard": 1 };
    const bad = Object.entries(want).filter(([k, n]) => count(k) !== n);
    if (bad.length) { console.log("  ", JSON.stringify(bad.map(([k, n]) => [k, count(k), n]))); process.exit(1); }' "$app/cdk.out/Shop.template.json"
check "the standby stack has its failover record, switch and watcher (bundle loaded from the package)" \
  node -e '
    const t = require(process.argv[1]);
    const rs = Object.values(t.Resources);
    const record = rs.find((r) => r.Type === "AWS::Route53::RecordSet" && r.Properties.Failover === "SECONDARY");
    const alarm = rs.find((r) => r.Type === "AWS::CloudWatch::Alarm" && r.Properties.AlarmName === "bluegreen-shop-dr-switch");
    const watcher = rs.find((r) => r.Type === "AWS::Lambda::Function" && JSON.stringify(r.Properties.Environment || {}).includes("BLUEGREEN_SERVICE"));
    if (!record || !alarm || !watcher) { console.log("  ", JSON.stringify({ record: !!record, alarm: !!alarm, watcher: !!watcher })); process.exit(1); }' "$app/cdk.out/ShopStandby.template.json"
check "the service quarantines: termination hook, retain policy, quarantine function (bundle loaded from the package), flapping gate members" \
  node -e '
    const t = require(process.argv[1]);
    const rs = Object.values(t.Resources);
    const hooks = rs.filter((r) => r.Type === "AWS::AutoScaling::LifecycleHook" && r.Properties.LifecycleHookName === "bluegreen-quarantine" && r.Properties.DefaultResult === "CONTINUE").length;
    const retain = rs.filter((r) => r.Type === "AWS::AutoScaling::AutoScalingGroup" && r.Properties.InstanceLifecyclePolicy?.RetentionTriggers?.TerminateHookAbandon === "retain").length;
    const fn = rs.some((r) => r.Type === "AWS::Lambda::Function" && JSON.stringify(r.Properties.Environment || {}).includes("BLUEGREEN_RELEASE_STATE_TABLE") && JSON.stringify(r.Properties.Description || "").includes("uarantine"));
    const flapping = rs.filter((r) => r.Type === "AWS::CloudWatch::Alarm" && /-flapping$/.test(r.Properties.AlarmName || "")).length;
    if (hooks !== 2 || retain !== 2 || !fn || flapping !== 2) { console.log("  ", JSON.stringify({ hooks, retain, fn, flapping })); process.exit(1); }' "$app/cdk.out/Shop.template.json"
check "the descriptor lists the release hook declared with the packaged ReleaseHook" \
  node -e '
    const t = require(process.argv[1]);
    const param = Object.values(t.Resources).find((r) => r.Type === "AWS::SSM::Parameter" && /descriptor/.test(JSON.stringify(r.Properties.Name)));
    const text = JSON.stringify(param && param.Properties.Value);
    if (!/releaseHooks/.test(text) || !/ci.example.com\/smoke/.test(text)) { console.log("   no releaseHooks with the webhook in the descriptor"); process.exit(1); }' "$app/cdk.out/Shop.template.json"
check "the feature flags declared from flags/shop.json: application, live environment with the composite monitor, two strategies, the declared version and no deployment" \
  node -e '
    const t = require(process.argv[1]);
    const rs = Object.values(t.Resources);
    const of = (type) => rs.filter((r) => r.Type === type);
    const app = of("AWS::AppConfig::Application").some((r) => r.Properties.Name === "bluegreen-shop");
    const env = of("AWS::AppConfig::Environment").find((r) => r.Properties.Name === "live");
    const monitor = of("AWS::CloudWatch::CompositeAlarm").some((r) => r.Properties.AlarmName === "shop-feature-flags-monitor");
    const strategies = of("AWS::AppConfig::DeploymentStrategy").length;
    const version = of("AWS::AppConfig::HostedConfigurationVersion").find((r) => r.DeletionPolicy === "Retain" && /release-express-checkout/.test(r.Properties.Content));
    const deployments = of("AWS::AppConfig::Deployment").length;
    const ok = app && env && env.Properties.Monitors.length === 1 && monitor && strategies === 2 && version && deployments === 0;
    if (!ok) { console.log("  ", JSON.stringify({ app, env: !!env, monitor, strategies, version: !!version, deployments })); process.exit(1); }' "$app/cdk.out/Shop.template.json"
check "no context lookup was needed (cloud assembly has no missing context)" \
  node -e 'const m = require(process.argv[1]); if (m.missing && m.missing.length) { console.log("  ", JSON.stringify(m.missing)); process.exit(1); }' "$app/cdk.out/manifest.json"
check "npx bluegreen --help from the consumer's folder" \
  bash -c "cd '$app' && npx --no-install bluegreen --help >'$work/help.log' 2>&1 && grep -q 'bluegreen <command> <service>' '$work/help.log' || { cat '$work/help.log'; exit 1; }"
check "npx bluegreen dr --help from the consumer's folder" \
  bash -c "cd '$app' && npx --no-install bluegreen dr --help >'$work/dr-help.log' 2>&1 && grep -q 'failover' '$work/dr-help.log' || { cat '$work/dr-help.log'; exit 1; }"
check "npx bluegreen approve --help and contract --help from the consumer's folder" \
  bash -c "cd '$app' && npx --no-install bluegreen approve --help >'$work/approve-help.log' 2>&1 && grep -q 'approval' '$work/approve-help.log' && npx --no-install bluegreen contract --help >'$work/contract-help.log' 2>&1 && grep -q 'standby' '$work/contract-help.log' || { cat '$work/approve-help.log' '$work/contract-help.log'; exit 1; }"
check "npx bluegreen quarantine --help from the consumer's folder" \
  bash -c "cd '$app' && npx --no-install bluegreen quarantine --help >'$work/q-help.log' 2>&1 && grep -q 'extend' '$work/q-help.log' || { cat '$work/q-help.log'; exit 1; }"
check "npx bluegreen flags --help from the consumer's folder" \
  bash -c "cd '$app' && npx --no-install bluegreen flags --help >'$work/flags-help.log' 2>&1 && grep -q 'kill' '$work/flags-help.log' || { cat '$work/flags-help.log'; exit 1; }"

echo "consumer test: $((SECONDS - started)) s"
exit "$failed"
