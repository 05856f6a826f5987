// The rules Seau's rendered manifests must follow, beyond the API's schemas.
// policyProblems(objects, expect) returns one string per broken rule; an empty
// list means the set is fit to apply. `expect` carries what the environment
// should have (replicas) and what Seau knows about itself (the documented
// SEAU_* variables, the image's user).
import { readFileSync } from 'node:fs';

// Settings that must never sit in a ConfigMap (or a literal env value).
export const SECRET_VARS = [
  'SEAU_DATABASE_URL', 'SEAU_WEBHOOK_SECRET', 'SEAU_ADMIN_PASSWORD',
  'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
];
// Besides SEAU_*, the standard AWS variables the ConfigMap may carry.
const AWS_VARS = ['AWS_REGION', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL_SQS'];
// Egress Seau needs: DNS, PostgreSQL, HTTPS (S3, SQS, STS, KMS).
const EGRESS_ALLOWED = new Set(['UDP/53', 'TCP/53', 'TCP/5432', 'TCP/443']);
// Namespaces whose pods may open connections to Seau.
const INGRESS_NAMESPACES = new Set(['ingress-nginx', 'monitoring']);

// The SEAU_* variables README.md's configuration table documents.
export function documentedVariables(readmePath) {
  const text = readFileSync(readmePath, 'utf8');
  const vars = new Set();
  for (const line of text.split('\n')) {
    if (!line.startsWith('| `SEAU_')) continue;
    const cell = line.split('|')[1];
    for (const m of cell.matchAll(/`(SEAU_[A-Z0-9_]+)`/g)) vars.add(m[1]);
  }
  return vars;
}

// Seau's durations: ms, s, m, h, d; a bare number is seconds. Returns seconds.
export function seauDuration(text) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(String(text).trim());
  if (!m) return NaN;
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[m[2] ?? 's'];
  return Number(m[1]) * unit;
}

// Seau's sizes (KiB..TiB, or bytes) and nginx's (k, m, g; 0 = unlimited). Bytes.
export function seauSize(text) {
  const m = /^(\d+)(B|KiB|MiB|GiB|TiB)?$/.exec(String(text).trim());
  if (!m) return NaN;
  return Number(m[1]) * { B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40 }[m[2] ?? 'B'];
}
export function nginxSize(text) {
  const m = /^(\d+)([kKmMgG])?$/.exec(String(text).trim());
  if (!m) return NaN;
  const unit = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 }[(m[2] ?? '').toLowerCase()];
  return Number(m[1]) * unit;
}

// Kubernetes quantities, as numbers (cores, bytes).
export function quantity(q) {
  const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(q));
  if (!m) return NaN;
  const f = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Number(m[1]) * (m[2] ? f[m[2]] : 1);
}

function matches(selector, labels) {
  if (!selector || !labels) return false;
  const ml = selector.matchLabels ?? {};
  if (Object.keys(ml).length === 0 && !(selector.matchExpressions?.length)) return false; // selects everything
  for (const [k, v] of Object.entries(ml)) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    if (e.operator === 'In' && !(has && e.values.includes(labels[e.key]))) return false;
    if (e.operator === 'NotIn' && has && e.values.includes(labels[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

// An image reference pinned by tag or digest, never latest, never the bare
// placeholder the base uses.
export function imageProblem(image) {
  const m = /^([a-z0-9][a-z0-9._\-/:]*?)(?::([\w][\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/.exec(image ?? '');
  if (!m) return `image "${image}" is not a valid reference`;
  const [, name, tag, digest] = m;
  if (!tag && !digest) return `image "${image}" is pinned by neither tag nor digest`;
  if (tag === 'latest') return `image "${image}" uses the latest tag`;
  if (!name.includes('/')) return `image "${image}" names no registry (the base's placeholder?)`;
  return null;
}

export function policyProblems(objects, expect) {
  const p = [];
  const of = (kind) => objects.filter((o) => o.kind === kind);
  const one = (kind, name) => objects.find((o) => o.kind === kind && o.metadata?.name === name);

  const deployments = of('Deployment');
  if (deployments.length !== 1) return [`expected one Deployment, found ${deployments.length}`];
  const dep = deployments[0];
  const tpl = dep.spec?.template ?? {};
  const pod = tpl.spec ?? {};
  const podLabels = tpl.metadata?.labels ?? {};
  const containers = pod.containers ?? [];
  const all = [...containers, ...(pod.initContainers ?? [])];

  // --- The Deployment ---
  if (!matches(dep.spec?.selector, podLabels)) p.push('Deployment: selector does not select its own pods');
  if (expect.replicas !== undefined && dep.spec?.replicas !== expect.replicas)
    p.push(`Deployment: replicas ${dep.spec?.replicas}, expected ${expect.replicas}`);
  const ru = dep.spec?.strategy;
  if (ru?.type !== 'RollingUpdate' || ru?.rollingUpdate?.maxUnavailable !== 0)
    p.push('Deployment: rolling update must have maxUnavailable: 0');
  if (!(ru?.rollingUpdate?.maxSurge >= 1 || /^[1-9]\d*%$/.test(String(ru?.rollingUpdate?.maxSurge))))
    p.push('Deployment: maxSurge must let a new pod start before an old one stops');

  // --- Containers: image, probes, resources, security ---
  for (const c of all) {
    const where = `container ${c.name}`;
    const bad = imageProblem(c.image);
    if (bad) p.push(`${where}: ${bad}`);
    if (c.imagePullPolicy === 'Never') p.push(`${where}: imagePullPolicy Never`);
    const portNames = new Set((c.ports ?? []).map((x) => x.name));
    const portNums = new Set((c.ports ?? []).map((x) => x.containerPort));
    const probe = (name, path) => {
      const pr = c[name];
      if (!pr) return p.push(`${where}: no ${name}`);
      if (path && pr.httpGet?.path !== path) p.push(`${where}: ${name} must GET ${path}, has ${pr.httpGet?.path}`);
      const port = pr.httpGet?.port ?? pr.tcpSocket?.port;
      if (port !== undefined && !portNames.has(port) && !portNums.has(port))
        p.push(`${where}: ${name} probes port ${port}, which the container does not declare`);
    };
    if (containers.includes(c)) {
      probe('livenessProbe', '/api/health');
      probe('readinessProbe', '/api/ready');
      probe('startupProbe', null);
    }
    for (const kind of ['requests', 'limits'])
      for (const r of ['cpu', 'memory'])
        if (c.resources?.[kind]?.[r] === undefined) p.push(`${where}: no ${r} ${kind}`);
    for (const r of ['cpu', 'memory']) {
      const req = quantity(c.resources?.requests?.[r]);
      const lim = quantity(c.resources?.limits?.[r]);
      if (req > lim) p.push(`${where}: ${r} request above its limit`);
    }
    const sc = c.securityContext ?? {};
    const psc = pod.securityContext ?? {};
    if ((sc.runAsNonRoot ?? psc.runAsNonRoot) !== true) p.push(`${where}: runAsNonRoot is not true`);
    const uid = sc.runAsUser ?? psc.runAsUser;
    if (uid !== expect.uid) p.push(`${where}: runs as UID ${uid}, the image's user is ${expect.uid}`);
    if (sc.allowPrivilegeEscalation !== false) p.push(`${where}: allowPrivilegeEscalation is not false`);
    if (sc.readOnlyRootFilesystem !== true) p.push(`${where}: readOnlyRootFilesystem is not true`);
    if (sc.privileged === true) p.push(`${where}: privileged`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) p.push(`${where}: capabilities do not drop ALL`);
    if ((sc.capabilities?.add ?? []).length) p.push(`${where}: adds capabilities`);
    if ((sc.seccompProfile ?? psc.seccompProfile)?.type !== 'RuntimeDefault')
      p.push(`${where}: seccomp profile is not RuntimeDefault`);
    const tmp = (c.volumeMounts ?? []).find((m) => m.mountPath === '/tmp');
    const tmpVol = tmp && (pod.volumes ?? []).find((v) => v.name === tmp.name);
    if (!tmpVol?.emptyDir) p.push(`${where}: /tmp is not an emptyDir (the root filesystem is read-only)`);
  }
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) p.push('pod: uses the host namespaces');
  if ((pod.volumes ?? []).some((v) => v.hostPath)) p.push('pod: mounts a hostPath');

  // --- Settings: the ConfigMap the container reads, secrets from a Secret ---
  const main = containers[0] ?? {};
  const cmNames = (main.envFrom ?? []).map((e) => e.configMapRef?.name).filter(Boolean);
  const config = {};
  for (const name of cmNames) {
    const cm = one('ConfigMap', name);
    if (!cm) p.push(`container ${main.name}: envFrom names ConfigMap ${name}, which is not in the set`);
    else Object.assign(config, cm.data ?? {});
  }
  for (const cm of of('ConfigMap')) {
    for (const key of Object.keys(cm.data ?? {})) {
      if (SECRET_VARS.includes(key)) p.push(`ConfigMap ${cm.metadata.name}: holds the secret ${key}`);
      else if (!key.startsWith('SEAU_') ? !AWS_VARS.includes(key) : !expect.documented.has(key))
        p.push(`ConfigMap ${cm.metadata.name}: ${key} is not a documented setting`);
    }
  }
  if (of('Secret').length) p.push('a Secret is part of the manifests: secrets must never be in the repository');
  const envByName = new Map((main.env ?? []).map((e) => [e.name, e]));
  for (const key of SECRET_VARS) {
    const e = envByName.get(key);
    if (e && e.value !== undefined) p.push(`container ${main.name}: ${key} has a literal value`);
  }
  for (const key of ['SEAU_DATABASE_URL', 'SEAU_WEBHOOK_SECRET']) {
    const ref = envByName.get(key)?.valueFrom?.secretKeyRef;
    if (!ref?.name) p.push(`container ${main.name}: ${key} does not come from a Secret`);
  }
  if (envByName.get('SEAU_DATABASE_URL')?.valueFrom?.secretKeyRef?.optional)
    p.push(`container ${main.name}: SEAU_DATABASE_URL is optional (replicas would fall back to SQLite)`);
  const listen = config.SEAU_LISTEN ?? '127.0.0.1:8080';
  const lm = /^(.*):(\d+)$/.exec(listen);
  if (!lm || !['0.0.0.0', '[::]'].includes(lm[1])) p.push(`SEAU_LISTEN=${listen} does not listen on every address`);
  else if (!(main.ports ?? []).some((x) => x.containerPort === Number(lm[2])))
    p.push(`SEAU_LISTEN port ${lm[2]} is not a container port`);
  if (!/^https:\/\/[^/]+$/.test(config.SEAU_PUBLIC_URL ?? '')) p.push('SEAU_PUBLIC_URL is not an https:// origin');

  // Shutdown: the kubelet must wait for the drain and the in-flight bound.
  const drain = seauDuration(config.SEAU_SHUTDOWN_DRAIN ?? '0s');
  const bound = seauDuration(config.SEAU_SHUTDOWN_TIMEOUT ?? '15s');
  const grace = pod.terminationGracePeriodSeconds ?? 30;
  if (!(grace > drain + bound))
    p.push(`terminationGracePeriodSeconds ${grace} is not above SEAU_SHUTDOWN_DRAIN + SEAU_SHUTDOWN_TIMEOUT (${drain + bound} s)`);

  // --- Spread over zones ---
  const zone = (pod.topologySpreadConstraints ?? []).find((t) => t.topologyKey === 'topology.kubernetes.io/zone');
  if (!zone) p.push('pod: no topology spread over zones');
  else if (!matches(zone.labelSelector, podLabels)) p.push('pod: the zone spread constraint does not select the pods');
  if (expect.zoneSpread && zone?.whenUnsatisfiable !== expect.zoneSpread)
    p.push(`pod: zone spread is ${zone?.whenUnsatisfiable}, expected ${expect.zoneSpread}`);

  // --- ServiceAccount (IRSA) ---
  const saName = pod.serviceAccountName ?? 'default';
  const sa = one('ServiceAccount', saName);
  if (!sa) p.push(`pod: ServiceAccount ${saName} is not in the set`);
  else {
    const arn = sa.metadata?.annotations?.['eks.amazonaws.com/role-arn'];
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(arn ?? ''))
      p.push(`ServiceAccount ${saName}: eks.amazonaws.com/role-arn is not a role ARN: ${arn}`);
    if (/000000000000|set-by-the-overlay/.test(arn ?? '')) p.push(`ServiceAccount ${saName}: role ARN is the base's placeholder`);
  }
  if (pod.automountServiceAccountToken !== false) p.push('pod: mounts a Kubernetes API token it does not need');

  // --- Service ---
  const svc = of('Service');
  if (svc.length !== 1) p.push(`expected one Service, found ${svc.length}`);
  const service = svc[0];
  if (service) {
    if (!matches({ matchLabels: service.spec?.selector }, podLabels)) p.push('Service: selector does not select the pods');
    for (const port of service.spec?.ports ?? []) {
      const t = port.targetPort;
      if (!(main.ports ?? []).some((x) => x.name === t || x.containerPort === t))
        p.push(`Service: targetPort ${t} is not a container port`);
    }
  }

  // --- Ingress ---
  for (const ing of of('Ingress')) {
    const a = ing.metadata?.annotations ?? {};
    const hosts = (ing.spec?.rules ?? []).map((r) => r.host);
    const tlsHosts = new Set((ing.spec?.tls ?? []).flatMap((t) => t.hosts ?? []));
    for (const h of hosts) if (!tlsHosts.has(h)) p.push(`Ingress: host ${h} has no TLS`);
    const publicHost = (config.SEAU_PUBLIC_URL ?? '').replace(/^https:\/\//, '');
    if (!hosts.includes(publicHost)) p.push(`Ingress: no rule for SEAU_PUBLIC_URL's host ${publicHost}`);
    for (const r of ing.spec?.rules ?? [])
      for (const path of r.http?.paths ?? []) {
        const b = path.backend?.service;
        if (!service || b?.name !== service.metadata.name) p.push(`Ingress: backend ${b?.name} is not Seau's Service`);
        else if (!(service.spec.ports ?? []).some((x) => x.name === b.port?.name || x.port === b.port?.number))
          p.push(`Ingress: backend port ${JSON.stringify(b.port)} is not a port of the Service`);
      }
    if (a['nginx.ingress.kubernetes.io/ssl-redirect'] !== 'true') p.push('Ingress: no ssl-redirect');
    const body = a['nginx.ingress.kubernetes.io/proxy-body-size'];
    const max = seauSize(config.SEAU_MAX_UPLOAD_BYTES ?? '5TiB');
    if (body === undefined) p.push('Ingress: no proxy-body-size (nginx would refuse uploads over 1 MiB)');
    else if (nginxSize(body) !== 0 && !(nginxSize(body) >= max))
      p.push(`Ingress: proxy-body-size ${body} is below SEAU_MAX_UPLOAD_BYTES`);
    if (a['nginx.ingress.kubernetes.io/proxy-request-buffering'] !== 'off')
      p.push('Ingress: proxied uploads are buffered by nginx (proxy-request-buffering is not off)');
    for (const t of ['proxy-read-timeout', 'proxy-send-timeout']) {
      const v = Number(a[`nginx.ingress.kubernetes.io/${t}`]);
      if (!(v >= 300)) p.push(`Ingress: ${t} ${a[`nginx.ingress.kubernetes.io/${t}`]} is too short for WebSockets and long transfers`);
    }
  }
  if (!of('Ingress').length) p.push('no Ingress');

  // --- HorizontalPodAutoscaler ---
  const hpas = of('HorizontalPodAutoscaler');
  if (hpas.length !== 1) p.push(`expected one HorizontalPodAutoscaler, found ${hpas.length}`);
  for (const h of hpas) {
    const t = h.spec?.scaleTargetRef ?? {};
    if (h.apiVersion !== 'autoscaling/v2') p.push(`HPA: ${h.apiVersion}, expected autoscaling/v2`);
    if (t.kind !== 'Deployment' || t.apiVersion !== 'apps/v1' || t.name !== dep.metadata.name)
      p.push(`HPA: targets ${t.apiVersion} ${t.kind} ${t.name}, not the Deployment ${dep.metadata.name}`);
    const res = new Set((h.spec?.metrics ?? []).filter((m) => m.type === 'Resource').map((m) => m.resource?.name));
    for (const r of ['cpu', 'memory']) if (!res.has(r)) p.push(`HPA: does not scale on ${r}`);
    if (h.spec?.minReplicas !== dep.spec?.replicas)
      p.push(`HPA: minReplicas ${h.spec?.minReplicas} differs from the Deployment's replicas ${dep.spec?.replicas}`);
    if (!(h.spec?.maxReplicas > h.spec?.minReplicas)) p.push('HPA: maxReplicas leaves no room to scale');
  }

  // --- PodDisruptionBudget ---
  const pdbs = of('PodDisruptionBudget');
  if (pdbs.length !== 1) p.push(`expected one PodDisruptionBudget, found ${pdbs.length}`);
  for (const b of pdbs) {
    if (!matches(b.spec?.selector, podLabels)) p.push('PDB: does not select the Deployment\'s pods');
    const minAvail = b.spec?.minAvailable;
    if (minAvail !== undefined && typeof minAvail === 'number' && minAvail >= (dep.spec?.replicas ?? 1))
      p.push('PDB: minAvailable leaves no pod to evict, so node drains would block');
    if (b.spec?.maxUnavailable === 0) p.push('PDB: maxUnavailable 0 blocks node drains');
  }

  // --- NetworkPolicy ---
  const nps = of('NetworkPolicy').filter((n) => matches(n.spec?.podSelector, podLabels));
  if (!nps.length) p.push('NetworkPolicy: none selects the pods');
  for (const n of nps) {
    const types = n.spec?.policyTypes ?? [];
    if (!types.includes('Ingress') || !types.includes('Egress')) p.push('NetworkPolicy: must restrict both Ingress and Egress');
    const httpPort = (main.ports ?? []).find((x) => x.name === 'http') ?? {};
    for (const [i, r] of (n.spec?.ingress ?? []).entries()) {
      if (!(r.from ?? []).length) p.push(`NetworkPolicy: ingress rule ${i} admits every source`);
      for (const f of r.from ?? []) {
        const ns = f.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
        if (!f.namespaceSelector || !INGRESS_NAMESPACES.has(ns))
          p.push(`NetworkPolicy: ingress rule ${i} admits a source outside the ingress controller's and Prometheus's namespaces`);
        if (f.ipBlock) p.push(`NetworkPolicy: ingress rule ${i} admits an address block`);
      }
      if (!(r.ports ?? []).length) p.push(`NetworkPolicy: ingress rule ${i} opens every port`);
      for (const port of r.ports ?? [])
        if (port.port !== httpPort.name && port.port !== httpPort.containerPort)
          p.push(`NetworkPolicy: ingress rule ${i} opens port ${port.port}, not Seau's`);
    }
    const egress = n.spec?.egress ?? [];
    let dns = false;
    for (const [i, r] of egress.entries()) {
      if (!(r.ports ?? []).length) p.push(`NetworkPolicy: egress rule ${i} opens every port`);
      for (const port of r.ports ?? []) {
        const key = `${port.protocol ?? 'TCP'}/${port.port}`;
        if (!EGRESS_ALLOWED.has(key)) p.push(`NetworkPolicy: egress rule ${i} opens ${key}`);
        if (port.endPort) p.push(`NetworkPolicy: egress rule ${i} opens a port range`);
        if (key === 'UDP/53') dns = true;
      }
    }
    if (!dns) p.push('NetworkPolicy: no DNS egress');
  }

  // --- Namespace: one, enforcing the restricted Pod Security Standard ---
  const namespaces = of('Namespace');
  if (namespaces.length !== 1) p.push(`expected one Namespace, found ${namespaces.length}`);
  const ns = namespaces[0]?.metadata?.name;
  if (namespaces[0] && namespaces[0].metadata?.labels?.['pod-security.kubernetes.io/enforce'] !== 'restricted')
    p.push(`Namespace ${ns}: does not enforce the restricted Pod Security Standard`);
  if (expect.namespace && ns !== expect.namespace) p.push(`Namespace is ${ns}, expected ${expect.namespace}`);
  for (const o of objects)
    if (o.kind !== 'Namespace' && o.metadata?.namespace !== ns)
      p.push(`${o.kind}/${o.metadata?.name}: in namespace ${o.metadata?.namespace}, not ${ns}`);

  // --- ServiceMonitor, when the component is in ---
  for (const sm of of('ServiceMonitor')) {
    if (!service || !matches(sm.spec?.selector, service.metadata?.labels))
      p.push('ServiceMonitor: does not select Seau\'s Service');
    for (const e of sm.spec?.endpoints ?? []) {
      if (e.path !== '/api/metrics') p.push(`ServiceMonitor: scrapes ${e.path}, not /api/metrics`);
      if (service && !(service.spec?.ports ?? []).some((x) => x.name === e.port))
        p.push(`ServiceMonitor: port ${e.port} is not a named port of the Service`);
    }
  }
  if (expect.serviceMonitor !== undefined && (of('ServiceMonitor').length > 0) !== expect.serviceMonitor)
    p.push(`ServiceMonitor: ${expect.serviceMonitor ? 'missing' : 'present but not expected'}`);

  return p;
}
