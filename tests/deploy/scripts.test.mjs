// The scripts the pipeline runs, each against something real where it can be
// had here: scripts/smoke against the seau binary, scripts/web-audit through
// npm against a local advisory service, scripts/notify against a local
// webhook, scripts/lint with cppcheck and shellcheck on a small repository,
// scripts/deploy with kubectl's real kustomize and a stand-in for the cluster
// (there is no API server here: apply and rollout are recorded, not done).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zlib from 'node:zlib';
import YAML from 'yaml';
import { ROOT, K8S, run } from './lib/common.mjs';

const script = (name) => join(ROOT, 'scripts', name);
const tmp = (prefix) => mkdtempSync(join(tmpdir(), `seau-${prefix}-`));
// run() blocks the event loop; the local servers below need it free.
function runAsync(cmd, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------- deploy
// A kubectl for the deploy script: `kustomize` is the real one; `apply -k`
// renders with the real kustomize and keeps the result; rollout status
// answers STUB_ROLLOUT_FAIL's way the first time. Every call is logged.
const KUBECTL = process.env.SEAU_REAL_KUBECTL ?? run('sh', ['-c', 'command -v kubectl']).stdout.trim();
function stubKubectl(dir) {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'kubectl'), `#!/bin/sh
echo "$*" >>"$STUB_DIR/calls"
args="$*"
case "$args" in
*"apply -k "*) exec "${KUBECTL}" kustomize "\${args##*apply -k }" >"$STUB_DIR/applied.yaml" ;;
kustomize*) exec "${KUBECTL}" "$@" ;;
*"rollout status"*)
    n=$(cat "$STUB_DIR/status-calls" 2>/dev/null || echo 0)
    echo $((n + 1)) >"$STUB_DIR/status-calls"
    [ "$n" -eq 0 ] && [ "\${STUB_ROLLOUT_FAIL:-0}" = 1 ] && { echo "error: timed out waiting for the condition" >&2; exit 1; }
    echo 'deployment "seau" successfully rolled out' ;;
*"rollout undo"*) echo "deployment.apps/seau rolled back" ;;
*) : ;;
esac
`);
  chmodSync(join(bin, 'kubectl'), 0o755);
  return { ...process.env, PATH: `${bin}:${process.env.PATH}`, STUB_DIR: dir };
}
function deploy(args, extraEnv = {}) {
  const dir = tmp('deploy');
  const env = { ...stubKubectl(dir), ...extraEnv };
  const r = run(script('deploy'), args, { env });
  const calls = existsSync(join(dir, 'calls')) ? readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n') : [];
  const applied = existsSync(join(dir, 'applied.yaml'))
    ? YAML.parseAllDocuments(readFileSync(join(dir, 'applied.yaml'), 'utf8')).map((d) => d.toJS()) : null;
  rmSync(dir, { recursive: true, force: true });
  return { ...r, calls, applied };
}
const appliedImage = (objs) => objs.find((o) => o.kind === 'Deployment').spec.template.spec.containers[0].image;

test('deploy: applies the overlay with the given image, waits for the rollout, leaves the tree untouched', () => {
  const release = join(K8S, 'overlays', 'staging', 'release', 'kustomization.yaml');
  const before = readFileSync(release, 'utf8');
  const r = deploy(['staging', 'registry.example.com/team/seau:1.2.3']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(appliedImage(r.applied), 'registry.example.com/team/seau:1.2.3');
  assert.ok(r.applied.every((o) => o.kind === 'Namespace' || o.metadata.namespace === 'seau-staging'));
  assert.match(r.calls[0], /^apply -k \S+\/kubernetes\/overlays\/staging$/);
  assert.deepEqual(r.calls.slice(1), ['-n seau-staging rollout status deployment/seau --timeout=300s']);
  assert.equal(readFileSync(release, 'utf8'), before);
});

test('deploy: a digest, a context and a timeout are passed on', () => {
  const digest = `sha256:${'c'.repeat(64)}`;
  const r = deploy(['production', `registry.example.com:5000/seau:2.0.0@${digest}`], { KUBE_CONTEXT: 'prod-eu', ROLLOUT_TIMEOUT: '120s' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(appliedImage(r.applied), `registry.example.com:5000/seau:2.0.0@${digest}`);
  assert.match(r.calls[0], /^--context prod-eu apply -k /);
  assert.equal(r.calls[1], '--context prod-eu -n seau-production rollout status deployment/seau --timeout=120s');
});

test('deploy: a rollout that does not complete is undone, and the deploy fails', () => {
  const r = deploy(['staging', 'registry.example.com/seau:9.9.9'], { STUB_ROLLOUT_FAIL: '1' });
  assert.notEqual(r.status, 0);
  assert.deepEqual(r.calls.slice(1), [
    '-n seau-staging rollout status deployment/seau --timeout=300s',
    '-n seau-staging get pods -l app.kubernetes.io/name=seau -o wide',
    '-n seau-staging rollout undo deployment/seau',
    '-n seau-staging rollout status deployment/seau --timeout=300s',
  ]);
  assert.match(r.stderr, /rolled back: staging runs its previous revision again/);
});

test('deploy: refuses latest, unpinned and registry-less images and unknown environments before touching the cluster', () => {
  for (const [args, why] of [
    [['staging', 'registry.example.com/seau:latest'], /latest tag is never deployed/],
    [['staging', 'registry.example.com/seau'], /neither a tag nor a digest/],
    [['staging', 'seau:1.0.0'], /names no registry/],
    [['staging', 'registry.example.com/seau@sha256:abc'], /digest is not sha256/],
    [['qa', 'registry.example.com/seau:1.0.0'], /no overlay deploy\/kubernetes\/overlays\/qa/],
  ]) {
    const r = deploy(args);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, why);
    assert.deepEqual(r.calls, [], `kubectl was called for ${args.join(' ')}`);
  }
});

test('deploy --render prints the manifests with the image; --rollback undoes and waits', () => {
  const r = deploy(['--render', 'production', 'registry.example.com/seau:3.1.4']);
  assert.equal(r.status, 0, r.stderr);
  const objs = YAML.parseAllDocuments(r.stdout).map((d) => d.toJS());
  assert.equal(appliedImage(objs), 'registry.example.com/seau:3.1.4');
  const rb = deploy(['--rollback', 'production']);
  assert.equal(rb.status, 0, rb.stderr);
  assert.deepEqual(rb.calls, ['-n seau-production rollout undo deployment/seau',
    '-n seau-production rollout status deployment/seau --timeout=300s']);
});

// ---------------------------------------------------------------- smoke
const SEAU_BIN = process.env.SEAU_BIN ?? [join(ROOT, 'build', 'asan', 'seau'), join(ROOT, 'build', 'seau')].find(existsSync);

async function withSeau(env, fn) {
  const dir = tmp('smoke');
  webRoot(dir);
  const port = await freePort();
  const child = spawn(SEAU_BIN, ['serve'], {
    cwd: dir,
    env: {
      ...process.env, SEAU_LISTEN: `127.0.0.1:${port}`, SEAU_DATABASE_URL: `sqlite:${dir}/seau.db`,
      SEAU_WEB_ROOT: join(dir, 'web'), SEAU_LOG_LEVEL: 'warn', SEAU_ADMIN_EMAIL: 'admin@example.com',
      SEAU_ADMIN_PASSWORD: 'smoke-test-password', ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  const url = `http://127.0.0.1:${port}`;
  try {
    // Started (migrations, the first admin's argon2id hash) before the checks begin.
    for (let i = 0; ; i++) {
      const up = await fetch(`${url}/api/health`).then((r) => r.ok, () => false);
      if (up) break;
      if (i >= 300 || child.exitCode !== null) throw new Error(`seau did not start on ${url}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return await fn(url, dir);
  } catch (e) {
    e.message += `\nseau's log:\n${log}`;
    throw e;
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}
// The web client's export, as far as the smoke test looks at it.
function webRoot(dir) {
  mkdirSync(join(dir, 'web'));
  writeFileSync(join(dir, 'web', 'index.html'), '<!doctype html><title>Seau</title>\n');
  writeFileSync(join(dir, 'web', 'login.html'), '<!doctype html><title>Sign in</title>\n');
}

test('smoke: passes against a running seau, fails on a wrong version and on a missing login page', { skip: !SEAU_BIN && 'no seau binary (SEAU_BIN)' }, async () => {
  await withSeau({}, async (url, dir) => {
    const ok = await runAsync(script('smoke'), [url], { env: { ...process.env, SMOKE_TIMEOUT: '60' } });
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    for (const line of ['ok   GET /api/health', 'ok   GET /api/ready', 'ok   GET /api/openapi.json', 'ok   GET /login'])
      assert.ok(ok.stdout.includes(line), `${line} missing from:\n${ok.stdout}`);
    const version = await runAsync(script('smoke'), [url], { env: { ...process.env, SMOKE_VERSION: '0.0.0-not-this' } });
    assert.notEqual(version.status, 0);
    assert.match(version.stderr, /not version 0\.0\.0-not-this/);
    rmSync(join(dir, 'web'), { recursive: true });
    const noPage = await runAsync(script('smoke'), [url], { env: process.env });
    assert.notEqual(noPage.status, 0);
    assert.match(noPage.stderr, /GET \/login: 404/);
  });
});

test('smoke: fails when readiness fails (an S3 that does not answer)', { skip: !SEAU_BIN && 'no seau binary (SEAU_BIN)' }, async () => {
  const closed = await freePort();
  await withSeau({ SEAU_S3_ENDPOINT: `http://127.0.0.1:${closed}`, SEAU_BUCKETS: 'smoke', SEAU_S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: 'smoke', AWS_SECRET_ACCESS_KEY: 'smoke-secret', AWS_REGION: 'us-east-1' }, async (url) => {
    const r = await runAsync(script('smoke'), [url], { env: { ...process.env, SMOKE_TIMEOUT: '4' } });
    assert.notEqual(r.status, 0, r.stdout);
    assert.match(r.stdout, /ok {3}GET \/api\/health/);
    assert.match(r.stderr, /FAIL GET \/api\/ready: 503/);
  });
});

test('smoke: fails when nothing answers', async () => {
  const port = await freePort();
  const r = await runAsync(script('smoke'), [`http://127.0.0.1:${port}`], { env: { ...process.env, SMOKE_TIMEOUT: '1' } });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /GET \/api\/health: no 200 within 1s/);
});

// ---------------------------------------------------------------- web-audit
// npm audit posts the lock's packages to the registry's bulk advisory
// endpoint; this one rates fixture-lib by WEB_AUDIT_FIXTURE_SEVERITY.
async function withAdvisories(severity, fn) {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
      res.setHeader('content-type', 'application/json');
      if (req.url.startsWith('/-/npm/v1/security/advisories/bulk')) {
        const asked = JSON.parse(body.toString());
        assert.deepEqual(Object.keys(asked).sort(), ['fixture-lib', 'fixture-util']);
        res.end(JSON.stringify(severity ? { 'fixture-lib': [{ id: 1, url: 'https://advisories.example/1', title: 'Prototype pollution in fixture-lib',
          severity, vulnerable_versions: '<1.0.1', cwe: ['CWE-1321'], cvss: { score: 7.5, vectorString: null } }] } : {}));
      } else if (req.url === '/fixture-lib') {
        res.end(JSON.stringify({ name: 'fixture-lib', 'dist-tags': { latest: '1.0.1' }, versions: Object.fromEntries(['1.0.0', '1.0.1'].map((v) =>
          [v, { name: 'fixture-lib', version: v, dist: { tarball: `http://127.0.0.1:9/fixture-lib-${v}.tgz` } }])) }));
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await fn(`http://127.0.0.1:${server.address().port}/`);
  } finally {
    server.close();
  }
}
// A fresh npm cache each time: npm would otherwise reuse an earlier answer.
const caches = [];
const auditEnv = (registry, extra = {}) => {
  caches.push(tmp('npm-cache'));
  return { ...process.env, npm_config_registry: registry, npm_config_fetch_retries: '0',
    npm_config_cache: caches.at(-1), npm_config_update_notifier: 'false', ...extra };
};
test.after(() => caches.forEach((c) => rmSync(c, { recursive: true, force: true })));
const FIXTURE = join(ROOT, 'tests', 'deploy', 'fixtures', 'audit');

test('web-audit: a high advisory fails the audit and is named', async () => {
  await withAdvisories('high', async (registry) => {
    const r = await runAsync(script('web-audit'), [FIXTURE], { env: auditEnv(registry) });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /2 dependencies, advisories: 1 high/);
    assert.match(r.stderr, /high +fixture-lib 1\.0\.0 +Prototype pollution in fixture-lib \(https:\/\/advisories\.example\/1\)/);
  });
});

test('web-audit: advisories below the level pass, and so does a clean report', async () => {
  await withAdvisories('moderate', async (registry) => {
    const r = await runAsync(script('web-audit'), [FIXTURE], { env: auditEnv(registry) });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /advisories: 1 moderate/);
    const strict = await runAsync(script('web-audit'), [FIXTURE], { env: auditEnv(registry, { WEB_AUDIT_LEVEL: 'moderate' }) });
    assert.equal(strict.status, 1);
  });
  await withAdvisories(null, async (registry) => {
    const r = await runAsync(script('web-audit'), [FIXTURE], { env: auditEnv(registry) });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /advisories: none/);
  });
});

test('web-audit: an unreachable advisory service fails closed unless explicitly allowed', async () => {
  const registry = `http://127.0.0.1:${await freePort()}/`;
  const r = await runAsync(script('web-audit'), [FIXTURE], { env: auditEnv(registry) });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /did not answer .*the audit did not run\. Failing closed\./);
  const allowed = await runAsync(script('web-audit'), [FIXTURE], { env: auditEnv(registry, { WEB_AUDIT_ALLOW_UNREACHABLE: '1' }) });
  assert.equal(allowed.status, 0);
  assert.match(allowed.stderr, /WARNING: .*Passing only because WEB_AUDIT_ALLOW_UNREACHABLE=1/);
});

// ---------------------------------------------------------------- notify
test('notify: posts the outcome as JSON, never shows the webhook, fails when the webhook refuses', async () => {
  const received = [];
  let answer = 200;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      received.push({ url: req.url, type: req.headers['content-type'], body });
      res.statusCode = answer;
      res.end('ok');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const hook = `http://127.0.0.1:${server.address().port}/hooks/T0-secret-token`;
  const env = { ...process.env, NOTIFY_WEBHOOK_URL: hook, JOB_NAME: 'seau/main', BUILD_NUMBER: '42',
    BUILD_URL: 'https://ci.example.com/job/seau/42/', IMAGE: 'registry.example.com/seau:abc' };
  try {
    const r = await runAsync(script('notify'), ['failure', 'the "Deploy" stage failed'], { env });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(received.length, 1);
    assert.equal(received[0].url, '/hooks/T0-secret-token');
    assert.equal(received[0].type, 'application/json');
    assert.deepEqual(JSON.parse(received[0].body), {
      text: 'Seau seau/main #42: failure (registry.example.com/seau:abc): the "Deploy" stage failed <https://ci.example.com/job/seau/42/>',
    });
    assert.doesNotMatch(r.stdout + r.stderr, /secret-token/);
    answer = 500;
    const refused = await runAsync(script('notify'), ['success'], { env });
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /did not accept the message/);
    assert.doesNotMatch(refused.stdout + refused.stderr, /secret-token/);
  } finally {
    server.close();
  }
  const quiet = await runAsync(script('notify'), ['success'], { env: { ...process.env, NOTIFY_WEBHOOK_URL: '' } });
  assert.equal(quiet.status, 0);
  assert.match(quiet.stdout, /NOTIFY_WEBHOOK_URL is not set; not posted/);
});

// ---------------------------------------------------------------- lint
test('lint: baseline findings pass, a new one fails with its line, a fixed one is reported gone', () => {
  const repo = tmp('lint');
  try {
    mkdirSync(join(repo, 'scripts'));
    mkdirSync(join(repo, 'src'));
    cpSync(script('lint'), join(repo, 'scripts', 'lint'));
    writeFileSync(join(repo, 'src', 'a.c'), 'int f(int n)\n{\n    int x;\n    if (n > 0) {\n        x = n * 2;\n        return x;\n    }\n    return 0;\n}\n');
    writeFileSync(join(repo, 'scripts', 'tool'), '#!/bin/sh\necho $1\n');
    const git = (...a) => run('git', ['-C', repo, ...a]);
    git('init', '-q');
    git('add', '.');
    const lint = (...a) => run(join(repo, 'scripts', 'lint'), a);
    const base = lint('--update-baseline');
    assert.equal(base.status, 0, base.stderr);
    const baseline = readFileSync(join(repo, 'scripts', 'lint-baseline.txt'), 'utf8');
    assert.match(baseline, /^cppcheck:src\/a\.c:variableScope:/m);
    assert.match(baseline, /^shellcheck:scripts\/tool:SC2086:/m);
    let r = lint();
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /2 finding\(s\), all in the baseline; nothing new/);
    // A new finding: a second unquoted expansion, three lines down.
    writeFileSync(join(repo, 'scripts', 'tool'), '#!/bin/sh\necho $1\n\n\necho $2\n');
    r = lint();
    assert.equal(r.status, 1);
    assert.match(r.stderr, /1 new finding\(s\):\n {2}shellcheck:scripts\/tool:[25]:SC2086:/);
    // Fixing the baseline's shell finding leaves one: still no new finding.
    writeFileSync(join(repo, 'scripts', 'tool'), '#!/bin/sh\necho "$1"\n');
    r = lint();
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /1 baseline finding\(s\) are gone/);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------- fuzz-smoke
test('fuzz-smoke: refuses an unknown harness; runs one briefly when the fuzzers are built', () => {
  const bad = run(script('fuzz-smoke'), ['no_such_harness']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /no harness tests\/fuzz\/no_such_harness\.c/);
  const fuzzer = join(ROOT, 'build', 'asan', 'tests', 'fuzz_route_match');
  if (!existsSync(fuzzer)) return; // make test builds them before this runs
  const r = run(script('fuzz-smoke'), ['route_match'], { env: { ...process.env, FUZZ_SECONDS: '2' } });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /fuzz-smoke: 1 harness\(es\), 2s each, no failing input/);
});
