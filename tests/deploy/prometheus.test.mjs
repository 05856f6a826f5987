// deploy/prometheus: the rules load (promtool check rules), every alert fires
// and stays silent in its unit tests (promtool test rules), every alert
// carries a summary, a description and a runbook link to a section that
// exists, and the rules only name metrics that Seau exposes (the # TYPE lines
// of src/metrics/metrics.c) or that Prometheus makes (up).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIR = join(ROOT, 'deploy', 'prometheus');
const PROMTOOL = '/usr/bin/promtool';

try {
  execFileSync(join(ROOT, 'scripts', 'require'), [PROMTOOL], { stdio: ['ignore', 'ignore', 'pipe'] });
} catch (e) {
  throw new Error(e.stderr?.toString().trim() || 'scripts/require failed');
}

const rules = YAML.parse(readFileSync(join(DIR, 'rules.yml'), 'utf8'));
const alerts = rules.groups.flatMap((g) => g.rules).filter((r) => r.alert);
const records = rules.groups.flatMap((g) => g.rules).filter((r) => r.record);

function promtool(...args) {
  const r = spawnSync(PROMTOOL, args, { cwd: DIR, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test('promtool check rules accepts rules.yml', () => {
  const r = promtool('check', 'rules', 'rules.yml');
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, new RegExp(`SUCCESS: ${alerts.length + records.length} rules found`));
});

test('promtool test rules passes rules.test.yml', () => {
  const r = promtool('test', 'rules', 'rules.test.yml');
  assert.equal(r.status, 0, r.out);
});

test('every alert is tested firing and silent', () => {
  const tests = YAML.parse(readFileSync(join(DIR, 'rules.test.yml'), 'utf8')).tests;
  const cases = tests.flatMap((t) => t.alert_rule_test ?? []);
  assert.ok(alerts.length >= 8);
  for (const a of alerts) {
    const mine = cases.filter((c) => c.alertname === a.alert);
    assert.ok(mine.some((c) => (c.exp_alerts ?? []).length > 0), `${a.alert} never fires in the tests`);
    assert.ok(mine.some((c) => (c.exp_alerts ?? []).length === 0), `${a.alert} is never checked silent`);
  }
});

test('every alert has a summary, a description and a runbook section', () => {
  const runbooks = readFileSync(join(ROOT, 'docs', 'runbooks.md'), 'utf8');
  // GitHub's anchors: the heading lowercased, spaces to dashes, punctuation dropped.
  const anchors = new Set([...runbooks.matchAll(/^#{2,3} (.+)$/gm)]
    .map((m) => m[1].trim().toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')));
  for (const a of alerts) {
    assert.ok(a.annotations?.summary, `${a.alert}: summary`);
    assert.ok(a.annotations?.description, `${a.alert}: description`);
    const m = /^docs\/runbooks\.md#(.+)$/.exec(a.annotations?.runbook_url ?? '');
    assert.ok(m, `${a.alert}: runbook_url ${a.annotations?.runbook_url}`);
    assert.ok(anchors.has(m[1]), `${a.alert}: docs/runbooks.md has no section #${m[1]}`);
    assert.ok(a.labels?.severity, `${a.alert}: severity`);
  }
});

test('the rules name only metrics that exist', () => {
  /* The exposition: the registry's, then the resilience and observability figures (obs.c). */
  const source = ['metrics.c', 'obs.c']
    .map((f) => readFileSync(join(ROOT, 'src', 'metrics', f), 'utf8')).join('\n');
  const exposed = new Map([...source.matchAll(/# TYPE ([a-z0-9_]+) ([a-z]+)/g)].map((m) => [m[1], m[2]]));
  assert.ok(exposed.has('seau_s3_requests_total'), 'the exposition was read');
  const used = new Set();
  for (const r of [...alerts, ...records])
    for (const m of r.expr.matchAll(/\b(?:seau|process)_[a-z0-9_]+\b/g))
      used.add(m[0]);
  for (const name of used) {
    const base = name.replace(/_(bucket|count|sum)$/, '');
    const known = exposed.has(name) || (base !== name && exposed.get(base) === 'histogram');
    assert.ok(known, `${name} is not a metric of src/metrics/metrics.c`);
  }
  assert.ok(used.size >= 8, [...used].join(' '));
});
