// Helpers shared by the deployment checks: paths, running tools, rendering.
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const K8S = join(ROOT, 'deploy', 'kubernetes');
export const TF = join(ROOT, 'deploy', 'terraform');

// The programs these checks run, checked first (scripts/require, which reads
// the one dependency list): a missing one fails at once, naming its package.
try {
  execFileSync(join(ROOT, 'scripts', 'require'),
    ['kubectl', 'terraform', 'groovy', 'java', 'yamllint', 'cppcheck', 'shellcheck'],
    { stdio: ['ignore', 'ignore', 'pipe'] });
} catch (e) {
  throw new Error(e.stderr?.toString().trim() || 'scripts/require failed');
}

// Runs a program; returns { status, stdout, stderr } without throwing.
export function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// `kubectl kustomize DIR`, parsed into plain objects.
export function render(dir) {
  const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return YAML.parseAllDocuments(out).map((d) => {
    if (d.errors.length) throw new Error(`kustomize output: ${d.errors[0].message}`);
    return d.toJS();
  }).filter(Boolean);
}

// KEY=VALUE lines (comments and blank lines skipped), as kustomize reads env files.
export function parseEnv(text) {
  const env = {};
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const i = t.indexOf('=');
    env[t.slice(0, i)] = t.slice(i + 1);
  }
  return env;
}
