// The Kubernetes manifests: both overlays render, every object is valid for
// the API (schemas and unknown fields), and the set follows Seau's rules.
// What this cannot prove without an API server: admission (Pod Security
// admission, webhooks), defaulting, and that the cluster has the CRDs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, K8S, render, run } from './lib/common.mjs';
import { validateObject } from './lib/k8s-schema.mjs';
import { policyProblems, documentedVariables, imageProblem } from './lib/k8s-policy.mjs';

const documented = documentedVariables(join(ROOT, 'README.md'));
const OVERLAYS = {
  staging: { replicas: 2, namespace: 'seau-staging', zoneSpread: 'ScheduleAnyway', serviceMonitor: false },
  production: { replicas: 3, namespace: 'seau-production', zoneSpread: 'DoNotSchedule', serviceMonitor: true },
};
const expectFor = (env) => ({ ...OVERLAYS[env], uid: 10001, documented });
const rendered = Object.fromEntries(Object.keys(OVERLAYS).map((env) => [env, render(join(K8S, 'overlays', env))]));

test('yamllint passes on deploy/ (strict), and fails on a bad file', () => {
  const config = join(ROOT, 'deploy', '.yamllint.yaml');
  const r = run('yamllint', ['-s', '-f', 'parsable', '-c', config, join(ROOT, 'deploy')]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const work = mkdtempSync(join(tmpdir(), 'seau-yamllint-'));
  writeFileSync(join(work, 'bad.yaml'), 'a: yes\nb:  [1,2]\nc: 1\nc: 2\n');
  const bad = run('yamllint', ['-s', '-f', 'parsable', '-c', config, work]);
  rmSync(work, { recursive: true, force: true });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stdout, /truthy/);
  assert.match(bad.stdout, /key-duplicates/);
});

test('the README documents the SEAU_* variables the checks compare against', () => {
  for (const v of ['SEAU_LISTEN', 'SEAU_DATABASE_URL', 'SEAU_SHUTDOWN_DRAIN', 'SEAU_WEBHOOK_SECRET'])
    assert.ok(documented.has(v), v);
  assert.ok(documented.size >= 30, `only ${documented.size} variables found`);
});

for (const env of Object.keys(OVERLAYS)) {
  test(`${env}: every object is valid for the Kubernetes API`, async () => {
    const objects = rendered[env];
    const kinds = objects.map((o) => o.kind).sort();
    for (const k of ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Ingress', 'Namespace', 'NetworkPolicy',
      'PodDisruptionBudget', 'Service', 'ServiceAccount'])
      assert.ok(kinds.includes(k), `${env} renders no ${k}`);
    const errors = [];
    for (const o of objects) errors.push(...(await validateObject(o)));
    assert.deepEqual(errors, []);
  });

  test(`${env}: the manifests follow Seau's deployment rules`, () => {
    assert.deepEqual(policyProblems(rendered[env], expectFor(env)), []);
  });
}

test('the base alone is not deployable: its placeholders are caught', () => {
  const problems = policyProblems(render(join(K8S, 'base')), { uid: 10001, documented }).join('\n');
  assert.match(problems, /image "seau" is pinned by neither tag nor digest/);
  assert.match(problems, /role ARN is the base's placeholder/);
  assert.match(problems, /expected one Namespace, found 0/);
});

test('the validator rejects unknown fields, missing required fields and bad enums', async () => {
  const dep = structuredClone(rendered.staging.find((o) => o.kind === 'Deployment'));
  dep.spec.template.spec.containers[0].imagePullPolcy = 'Always';
  delete dep.spec.selector;
  delete dep.spec.template.spec.containers[0].name;
  dep.spec.strategy.type = 'Sideways';
  dep.metadata.lables = { a: 'b' };
  const errors = (await validateObject(dep)).join('\n');
  assert.match(errors, /containers\[0\]\.imagePullPolcy: unknown field/);
  assert.match(errors, /metadata\.lables: unknown field/);
  assert.match(errors, /must have required property selector/);
  assert.match(errors, /must have required property name/);
  assert.match(errors, /strategy\/type must be equal to one of the allowed values/);

  const np = structuredClone(rendered.staging.find((o) => o.kind === 'NetworkPolicy'));
  np.spec.egress[0].ports[0].port = { bad: true };
  np.spec.ingres = [];
  const npErrors = (await validateObject(np)).join('\n');
  assert.match(npErrors, /spec\.ingres: unknown field/);
  assert.match(npErrors, /port/);

  const sm = structuredClone(rendered.production.find((o) => o.kind === 'ServiceMonitor'));
  sm.spec.endpoints[0].pth = '/x';
  sm.spec.endpoints[0].scheme = 'ftp';
  const smErrors = (await validateObject(sm)).join('\n');
  assert.match(smErrors, /endpoints\[0\]\.pth: unknown field/);
  assert.match(smErrors, /scheme must be equal to one of the allowed values/);

  assert.match((await validateObject({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } })).join(), /no schema/);
});

test('image references: pinned, never latest, never the placeholder', () => {
  assert.equal(imageProblem('111122223333.dkr.ecr.eu-west-1.amazonaws.com/seau:0.1.0'), null);
  assert.equal(imageProblem(`registry.example.com/seau@sha256:${'a'.repeat(64)}`), null);
  assert.equal(imageProblem(`registry.example.com:5000/team/seau:1.2.3@sha256:${'b'.repeat(64)}`), null);
  assert.match(imageProblem('registry.example.com/seau:latest'), /latest/);
  assert.match(imageProblem('registry.example.com/seau'), /neither tag nor digest/);
  assert.match(imageProblem('seau:1.0'), /names no registry/);
});

// Each rule must be able to fail: break one thing in a copy, expect its complaint.
const dep = (o) => o.find((x) => x.kind === 'Deployment');
const ctr = (o) => dep(o).spec.template.spec.containers[0];
const kind = (o, k) => o.find((x) => x.kind === k);
const cm = (o) => o.find((x) => x.kind === 'ConfigMap');
const BREAKS = [
  ['image :latest', (o) => { ctr(o).image = 'r.example.com/seau:latest'; }, /latest tag/],
  ['no readiness probe', (o) => { delete ctr(o).readinessProbe; }, /no readinessProbe/],
  ['liveness on the wrong path', (o) => { ctr(o).livenessProbe.httpGet.path = '/'; }, /livenessProbe must GET \/api\/health/],
  ['no startup probe', (o) => { delete ctr(o).startupProbe; }, /no startupProbe/],
  ['probe on an undeclared port', (o) => { ctr(o).livenessProbe.httpGet.port = 9090; }, /probes port 9090/],
  ['root allowed', (o) => { ctr(o).securityContext.runAsNonRoot = false; }, /runAsNonRoot is not true/],
  ['another UID', (o) => { ctr(o).securityContext.runAsUser = 1000; }, /runs as UID 1000/],
  ['writable root filesystem', (o) => { ctr(o).securityContext.readOnlyRootFilesystem = false; }, /readOnlyRootFilesystem/],
  ['capabilities kept', (o) => { ctr(o).securityContext.capabilities.drop = []; }, /do not drop ALL/],
  ['privilege escalation', (o) => { delete ctr(o).securityContext.allowPrivilegeEscalation; }, /allowPrivilegeEscalation/],
  ['no seccomp', (o) => { delete ctr(o).securityContext.seccompProfile; delete dep(o).spec.template.spec.securityContext.seccompProfile; }, /seccomp/],
  ['no /tmp emptyDir', (o) => { ctr(o).volumeMounts = []; }, /\/tmp is not an emptyDir/],
  ['no memory limit', (o) => { delete ctr(o).resources.limits.memory; }, /no memory limits/],
  ['cpu request above limit', (o) => { ctr(o).resources.requests.cpu = '4'; }, /cpu request above its limit/],
  ['grace period too short', (o) => { dep(o).spec.template.spec.terminationGracePeriodSeconds = 40; }, /terminationGracePeriodSeconds 40/],
  ['longer drain', (o) => { cm(o).data.SEAU_SHUTDOWN_DRAIN = '30s'; }, /terminationGracePeriodSeconds 50 is not above .* \(60 s\)/],
  ['maxUnavailable 1', (o) => { dep(o).spec.strategy.rollingUpdate.maxUnavailable = 1; }, /maxUnavailable: 0/],
  ['replicas changed', (o) => { dep(o).spec.replicas = 1; }, /replicas 1, expected 2/],
  ['no zone spread', (o) => { dep(o).spec.template.spec.topologySpreadConstraints.shift(); }, /no topology spread over zones/],
  ['PDB selects other pods', (o) => { kind(o, 'PodDisruptionBudget').spec.selector.matchLabels = { app: 'other' }; }, /PDB: does not select/],
  ['PDB blocks drains', (o) => { const s = kind(o, 'PodDisruptionBudget').spec; delete s.maxUnavailable; s.minAvailable = 2; }, /minAvailable leaves no pod/],
  ['HPA targets another Deployment', (o) => { kind(o, 'HorizontalPodAutoscaler').spec.scaleTargetRef.name = 'other'; }, /HPA: targets/],
  ['HPA without memory', (o) => { kind(o, 'HorizontalPodAutoscaler').spec.metrics.pop(); }, /does not scale on memory/],
  ['HPA floor below replicas', (o) => { kind(o, 'HorizontalPodAutoscaler').spec.minReplicas = 1; }, /minReplicas 1 differs/],
  ['NetworkPolicy misses the pods', (o) => { kind(o, 'NetworkPolicy').spec.podSelector.matchLabels = { app: 'x' }; }, /none selects the pods/],
  ['NetworkPolicy egress to port 80', (o) => { kind(o, 'NetworkPolicy').spec.egress[2].ports.push({ port: 80, protocol: 'TCP' }); }, /opens TCP\/80/],
  ['NetworkPolicy egress without ports', (o) => { delete kind(o, 'NetworkPolicy').spec.egress[2].ports; }, /egress rule 2 opens every port/],
  ['NetworkPolicy ingress from any namespace', (o) => { kind(o, 'NetworkPolicy').spec.ingress[0].from[0].namespaceSelector = {}; }, /outside the ingress controller's/],
  ['NetworkPolicy without Egress', (o) => { kind(o, 'NetworkPolicy').spec.policyTypes = ['Ingress']; }, /both Ingress and Egress/],
  ['database URL in the ConfigMap', (o) => { cm(o).data.SEAU_DATABASE_URL = 'postgres://u:p@h/db'; }, /holds the secret SEAU_DATABASE_URL/],
  ['misspelt setting', (o) => { cm(o).data.SEAU_LOG_LEVLE = 'info'; }, /SEAU_LOG_LEVLE is not a documented setting/],
  ['a Secret in the manifests', (o) => { o.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'seau-staging' } }); }, /Secret is part of the manifests/],
  ['database URL as a literal', (o) => { ctr(o).env[0] = { name: 'SEAU_DATABASE_URL', value: 'postgres://x' }; }, /SEAU_DATABASE_URL has a literal value/],
  ['listening on loopback', (o) => { cm(o).data.SEAU_LISTEN = '127.0.0.1:8080'; }, /does not listen on every address/],
  ['no IRSA role', (o) => { delete kind(o, 'ServiceAccount').metadata.annotations['eks.amazonaws.com/role-arn']; }, /not a role ARN/],
  ['API token mounted', (o) => { delete dep(o).spec.template.spec.automountServiceAccountToken; }, /Kubernetes API token/],
  ['Service selects nothing of ours', (o) => { kind(o, 'Service').spec.selector = { app: 'x' }; }, /Service: selector/],
  ['edge body limit below uploads', (o) => { kind(o, 'Ingress').metadata.annotations['nginx.ingress.kubernetes.io/proxy-body-size'] = '10m'; }, /below SEAU_MAX_UPLOAD_BYTES/],
  ['short WebSocket timeout', (o) => { kind(o, 'Ingress').metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'] = '60'; }, /proxy-read-timeout 60/],
  ['ingress host off the public URL', (o) => { kind(o, 'Ingress').spec.rules[0].host = 'other.example.com'; }, /no rule for SEAU_PUBLIC_URL's host/],
  ['host without TLS', (o) => { kind(o, 'Ingress').spec.tls = []; }, /has no TLS/],
  ['namespace not restricted', (o) => { delete kind(o, 'Namespace').metadata.labels['pod-security.kubernetes.io/enforce']; }, /restricted Pod Security/],
  ['object in another namespace', (o) => { kind(o, 'Service').metadata.namespace = 'default'; }, /Service\/seau: in namespace default/],
];

for (const [name, breakIt, complaint] of BREAKS) {
  test(`a broken copy is rejected: ${name}`, () => {
    const copy = structuredClone(rendered.staging);
    breakIt(copy);
    assert.match(policyProblems(copy, expectFor('staging')).join('\n'), complaint);
  });
}
