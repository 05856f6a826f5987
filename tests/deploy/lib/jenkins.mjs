// Checks a Jenkinsfile's declarative structure from the call tree that
// jenkins/stub.groovy records, and which make targets and scripts it runs.
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, run } from './common.mjs';

// Debian's groovy 2.4 runs on Java 17 (newer JDKs it does not know).
function javaHome() {
  const jvm = '/usr/lib/jvm';
  const java17 = existsSync(jvm) ? readdirSync(jvm).filter((d) => /^java-17-openjdk-/.test(d)).map((d) => join(jvm, d)) : [];
  const home = [process.env.SEAU_JAVA_HOME, ...java17, process.env.JAVA_HOME].find((d) => d && existsSync(join(d, 'bin', 'java')));
  if (!home) throw new Error('no Java 17 for groovy (apt-get install default-jre-headless, or set SEAU_JAVA_HOME)');
  return home;
}

// Runs the stub over the given files in one JVM: [{file, syntaxError, runError, tree, env}].
export function readJenkinsfiles(files) {
  const r = run('groovy', [join(ROOT, 'tests', 'deploy', 'jenkins', 'stub.groovy'), ...files], {
    env: { ...process.env, JAVA_HOME: javaHome() },
  });
  if (r.status !== 0) throw new Error(`groovy failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

// Every node with its ancestors, depth first, in the order Jenkins runs them.
function flatten(node, ancestors = [], out = []) {
  out.push({ node, ancestors });
  for (const c of node.children) flatten(c, [...ancestors, node], out);
  return out;
}
const text = (arg) => (typeof arg === 'object' && arg !== null ? arg.text : arg);
const stageOf = (ancestors) => [...ancestors].reverse().find((a) => a.call === 'stage')?.args[0];

// The shell commands of a tree, each with where it runs.
export function shellSteps(tree) {
  return flatten(tree).filter(({ node }) => node.call === 'sh').map(({ node, ancestors }) => ({
    script: text(typeof node.args[0] === 'object' && node.args[0]?.script ? node.args[0].script : node.args[0]),
    arg: node.args[0],
    ancestors,
    stage: stageOf(ancestors),
    inPost: ancestors.some((a) => a.call === 'post'),
  }));
}

// The rule names a Makefile defines.
export function makeTargets(makefile = join(ROOT, 'Makefile')) {
  const targets = new Set();
  for (const line of readFileSync(makefile, 'utf8').split('\n')) {
    const m = /^([A-Za-z0-9][\w.-]*(?:[ \t]+[A-Za-z0-9][\w.-]*)*)[ \t]*:(?![=:])/.exec(line);
    if (m) for (const t of m[1].split(/\s+/)) targets.add(t);
  }
  return targets;
}

// What one sh step runs: {kind: 'make', target, vars} or {kind: 'script', path}.
export function parseCommand(script) {
  const s = script.trim();
  let m = /^make\s+([A-Za-z0-9][\w.-]*)((?:\s+[A-Z_][A-Z0-9_]*=(?:"[^"]*"|'[^']*'|\S+))*)\s*$/.exec(s);
  if (m) return { kind: 'make', target: m[1], vars: m[2].trim() };
  m = /^((?:scripts|web\/scripts|tests\/[\w/-]+)\/[\w.-]+)(\s+[\w.=-]+)*\s*$/.exec(s);
  if (m) return { kind: 'script', path: m[1] };
  return { kind: 'other' };
}

const CREDENTIAL_BINDINGS = new Set(['usernamePassword', 'file', 'string', 'sshUserPrivateKey', 'certificate', 'usernameColonPassword']);

export function structureProblems(result) {
  const p = [];
  if (result.syntaxError) return [`syntax: ${result.syntaxError}`];
  if (result.runError) return [`the stub DSL could not run it: ${result.runError}`];
  const root = result.tree;
  const pipelines = root.children.filter((c) => c.call === 'pipeline');
  if (pipelines.length !== 1 || root.children.length !== 1) return ['the file must hold exactly one pipeline { } and nothing else at the top'];
  const pipeline = pipelines[0];
  const top = new Map(pipeline.children.map((c) => [c.call, c]));
  for (const d of ['agent', 'options', 'stages', 'post']) if (!top.has(d)) p.push(`pipeline: no ${d} section`);

  // The order in which the work happens (first occurrence, outside post).
  const all = flatten(pipeline);
  const order = [];
  for (const { node, ancestors } of all) {
    if (ancestors.some((a) => a.call === 'post')) continue;
    if (node.call === 'checkout') order.push({ what: 'checkout', at: order.length, ancestors });
    if (node.call === 'input') order.push({ what: 'input', at: order.length, ancestors, node });
    if (node.call === 'sh') order.push({ what: text(node.args[0]), at: order.length, ancestors });
  }
  const firstIndex = (re) => order.findIndex((o) => re.test(o.what));
  const SEQUENCE = [
    ['checkout', /^checkout$/], ['setup', /^make setup\b/], ['build', /^make build\b/],
    ['tests under sanitizers', /^make test\b/], ['fuzz smoke', /^make fuzz-smoke\b/],
    ['static analysis', /^make lint\b/], ['web client audit', /^make web-audit\b/],
    ['image build', /^make image\b(?!-)/], ['image scan', /^make image-scan\b/], ['push', /^make image-push\b/],
    ['deploy to staging', /^make deploy ENV=staging\b/], ['smoke test of staging', /^make smoke URL="\$STAGING_URL"/],
    ['manual approval', /^input$/], ['deploy to production', /^make deploy ENV=production\b/],
    ['smoke test of production', /^make smoke URL="\$PRODUCTION_URL"/],
  ];
  let last = -1;
  let lastName = 'the start';
  for (const [name, re] of SEQUENCE) {
    const i = firstIndex(re);
    if (i < 0) p.push(`no ${name} step`);
    else if (i < last) p.push(`${name} comes before ${lastName}`);
    else { last = i; lastName = name; }
  }
  if (order[0]?.what !== 'checkout') p.push('the first step is not the checkout');

  // The approval: a message, and people allowed to give it.
  const input = order.find((o) => o.what === 'input');
  if (input) {
    const fields = new Map(input.node.children.map((c) => [c.call, c.args[0]]));
    const args = input.node.args[0] && typeof input.node.args[0] === 'object' ? input.node.args[0] : {};
    if (!fields.get('message') && !args.message) p.push('input: no message');
    if (!fields.get('submitter') && !args.submitter) p.push('input: no submitter (anyone could approve)');
  }

  // Credentials: push and deploys inside withCredentials; no secret interpolated or echoed.
  const credentialVars = new Set();
  for (const { node } of flatten(root)) {
    if (node.call !== 'withCredentials') continue;
    for (const b of node.args[0] ?? []) {
      if (!b || !CREDENTIAL_BINDINGS.has(b.call)) { p.push(`withCredentials: ${JSON.stringify(b)} is not a credential binding`); continue; }
      for (const [k, v] of Object.entries(b.args[0] ?? {})) if (/Variable$|^variable$/.test(k)) credentialVars.add(v);
    }
  }
  const steps = shellSteps(root);
  for (const s of steps) {
    const creds = s.ancestors.some((a) => a.call === 'withCredentials');
    if (/^make (image-push|deploy|rollback)\b/.test(s.script) && !creds)
      p.push(`"${s.script}" (stage ${s.stage}) runs without withCredentials`);
    if (/^make (deploy|image-push|rollback)\b/.test(s.script)) {
      const guarded = s.ancestors.some((a) => a.call === 'stage' && a.children.some((c) => c.call === 'when' &&
        c.children.some((w) => w.call === 'branch')));
      if (!guarded) p.push(`"${s.script}" (stage ${s.stage}) is not limited to a branch`);
    }
  }
  for (const { node } of flatten(root)) {
    if (!['sh', 'echo', 'error', 'println', 'print'].includes(node.call)) continue;
    for (const a of node.args) {
      const values = typeof a === 'object' && a?.gstring ? a.values : [];
      for (const v of values)
        for (const c of credentialVars)
          if (v.includes(`<${c}>`) || v.includes(`<env.${c}>`)) p.push(`${node.call}: interpolates the credential ${c} in Groovy`);
      const t = text(a) ?? '';
      for (const c of credentialVars)
        if (new RegExp(`(echo|printf|print|println).*\\$\\{?${c}\\b`).test(t)) p.push(`${node.call}: prints the credential ${c}`);
      if (node.call === 'sh' && /\bset\s+-[a-z]*x/.test(t)) p.push('sh: set -x would print credentials');
    }
  }

  // Rollback when production does not answer after its rollout.
  const prodSmoke = steps.find((s) => /^make smoke URL="\$PRODUCTION_URL"/.test(s.script));
  if (prodSmoke) {
    const stage = [...prodSmoke.ancestors].reverse().find((a) => a.call === 'stage');
    const post = stage?.children.find((c) => c.call === 'post');
    const failure = post?.children.find((c) => c.call === 'failure');
    const rollback = failure && shellSteps(failure).some((s) => /^make rollback ENV=production\b/.test(s.script));
    if (!rollback) p.push('the production smoke test does not roll back on failure');
  }

  // Notifications for every outcome that matters.
  const post = top.get('post');
  for (const cond of ['success', 'failure']) {
    const block = post?.children.find((c) => c.call === cond);
    if (!block || !shellSteps(block).some((s) => /^scripts\/notify\b/.test(s.script)))
      p.push(`post: no notification on ${cond}`);
  }

  // Every shell step is a make target or a script of the repository.
  for (const s of steps) {
    if (parseCommand(s.script).kind === 'other') p.push(`"${s.script}" (stage ${s.stage}) is neither a make target nor a repository script`);
  }
  return p;
}

// Make targets and scripts the pipeline calls that the repository lacks.
export function missingCommands(result, targets = makeTargets()) {
  const missing = new Set();
  const unresolved = [];
  for (const s of shellSteps(result.tree)) {
    const c = parseCommand(s.script);
    if (c.kind === 'make') {
      if (!targets.has(c.target)) { missing.add(`make ${c.target}`); continue; }
      // The recipe must resolve, and the scripts it names must exist.
      const vars = [...c.vars.matchAll(/([A-Z_][A-Z0-9_]*)=("[^"]*"|'[^']*'|\S+)/g)]
        .map(([, k, v]) => `${k}=${v.replace(/^["']|["']$/g, '').replace(/\$\{?(\w+)\}?/g, (_, n) => result.env?.[n] ?? `x/${n.toLowerCase()}:1`)}`);
      const dry = run('make', ['-n', '-C', ROOT, c.target, ...vars]);
      if (dry.status !== 0) { unresolved.push(`make ${c.target}: ${dry.stderr.trim()}`); continue; }
      for (const m of dry.stdout.matchAll(/(?:^|[\s@;&|(])((?:scripts|web\/scripts|tests\/[\w/-]+|bench)\/[\w.-]+)/gm)) {
        const path = join(ROOT, m[1]);
        if (!existsSync(path) || !(statSync(path).mode & 0o111)) missing.add(`${m[1]} (run by make ${c.target})`);
      }
    } else if (c.kind === 'script') {
      const path = join(ROOT, c.path);
      if (!existsSync(path) || !(statSync(path).mode & 0o111)) missing.add(c.path);
    }
  }
  return { missing: [...missing].sort(), unresolved };
}
