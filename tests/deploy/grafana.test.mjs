// deploy/grafana/seau.json: an importable dashboard whose data source is a
// variable. There is no Grafana server here, so each panel query is turned
// into a recording rule (Grafana's variables replaced by plain values) and
// checked by promtool; the queries must name only metrics that Seau exposes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PROMTOOL = '/usr/bin/promtool';

try {
  execFileSync(join(ROOT, 'scripts', 'require'), [PROMTOOL], { stdio: ['ignore', 'ignore', 'pipe'] });
} catch (e) {
  throw new Error(e.stderr?.toString().trim() || 'scripts/require failed');
}

const dash = JSON.parse(readFileSync(join(ROOT, 'deploy', 'grafana', 'seau.json'), 'utf8'));
const targets = dash.panels.flatMap((p) => p.targets.map((t) => ({ panel: p, target: t })));

// What Grafana would put in place of its variables.
const plain = (expr) => expr.replaceAll('$__rate_interval', '5m').replaceAll('$job', '.+');

test('the data source is a variable every panel and query uses', () => {
  const vars = dash.templating.list;
  const ds = vars.find((v) => v.name === 'datasource');
  assert.equal(ds?.type, 'datasource');
  assert.equal(ds.query, 'prometheus');
  for (const v of vars.filter((x) => x.datasource))
    assert.equal(v.datasource.uid, '${datasource}', v.name);
  const ids = new Set();
  for (const p of dash.panels) {
    assert.deepEqual(p.datasource, { type: 'prometheus', uid: '${datasource}' }, p.title);
    assert.ok(!ids.has(p.id), `panel id ${p.id} twice`);
    ids.add(p.id);
    assert.ok(p.gridPos && p.title && p.targets.length > 0, p.title);
    for (const t of p.targets)
      assert.deepEqual(t.datasource, p.datasource, `${p.title} ${t.refId}`);
  }
  assert.equal(typeof dash.uid, 'string');
  assert.equal(dash.id, undefined, 'an importable dashboard has no id');
});

test('every panel query is valid PromQL (as a recording rule, promtool check rules)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seau-grafana-'));
  try {
    const rules = targets.map(({ panel, target }) => ({
      record: `grafana:panel_${panel.id}:${target.refId.toLowerCase()}`,
      expr: plain(target.expr),
    }));
    writeFileSync(join(dir, 'panels.yml'), YAML.stringify({ groups: [{ name: 'grafana-panels', rules }] }));
    const r = spawnSync(PROMTOOL, ['check', 'rules', 'panels.yml'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, new RegExp(`SUCCESS: ${rules.length} rules found`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the panels cover the service and name only metrics that exist', () => {
  /* The exposition: the registry's, then the resilience and observability figures (obs.c). */
  const source = ['metrics.c', 'obs.c']
    .map((f) => readFileSync(join(ROOT, 'src', 'metrics', f), 'utf8')).join('\n');
  const exposed = new Map([...source.matchAll(/# TYPE ([a-z0-9_]+) ([a-z]+)/g)].map((m) => [m[1], m[2]]));
  const used = new Set();
  for (const { target } of targets)
    for (const m of target.expr.matchAll(/\b(?:seau|process)_[a-z0-9_]+\b/g))
      used.add(m[0]);
  for (const name of used) {
    const base = name.replace(/_(bucket|count|sum)$/, '');
    assert.ok(exposed.has(name) || (base !== name && exposed.get(base) === 'histogram'), `${name} is not exposed`);
  }
  for (const needed of ['seau_http_request_duration_seconds_count', 'seau_http_request_duration_seconds_bucket',
    'seau_upload_bytes_sum', 'seau_s3_requests_total', 'seau_s3_request_duration_seconds_bucket',
    'seau_websocket_clients', 'process_resident_memory_bytes'])
    assert.ok(used.has(needed), `no panel shows ${needed}`);
});
