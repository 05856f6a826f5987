// The Jenkinsfile: valid Groovy (compiled to the CONVERSION phase by Debian's
// groovy), a declarative pipeline with the stages in order, approval before
// production, credentials only where needed and never printed, notifications,
// and every command it runs present in the repository.
// What this cannot prove without Jenkins: that the plugins (credentials
// binding, pipeline input, timestamper) are installed, that the credential IDs
// exist, and Jenkins's own validation of declarative sections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './lib/common.mjs';
import { readJenkinsfiles, structureProblems, missingCommands, makeTargets, parseCommand } from './lib/jenkins.mjs';

const original = readFileSync(join(ROOT, 'Jenkinsfile'), 'utf8');

// Broken copies, each with the complaint it must draw.
const BREAKS = [
  ['a syntax error', (t) => t.replace(/}\s*$/, ''), /^syntax:/],
  ['no approval', (t) => t.replace(/input \{[^}]*\}/, ''), /no manual approval step/],
  ['push without credentials', (t) => t.replace('withCredentials([usernamePassword', 'withEnv([usernamePassword'), /make image-push .* runs without withCredentials/],
  ['production before staging', (t) => t.replace("ENV=staging IMAGE", 'ENV=production IMAGE'), /deploy to production comes before/],
  ['an inline shell command', (t) => t.replace("sh 'make build'", "sh 'cmake --build build -j2'"), /no build step|neither a make target nor a repository script/],
  ['a secret interpolated by Groovy', (t) => t.replace(`sh 'make image-push TAG="$TAG" REGISTRY="$REGISTRY"'`,
    'sh "make image-push TAG=$TAG REGISTRY_PASSWORD=${REGISTRY_PASSWORD}"'), /interpolates the credential REGISTRY_PASSWORD/],
  ['a secret echoed', (t) => t.replace("sh 'make deploy ENV=staging", "sh 'echo $KUBECONFIG; make deploy ENV=staging"), /prints the credential KUBECONFIG/],
  ['no failure notification', (t) => t.replace(/failure \{\s*notifyChat\('failure'\)\s*\}/, ''), /no notification on failure/],
  ['no rollback after a failed production smoke test', (t) => t.replace("sh 'make rollback ENV=production'", "echo 'rollback by hand'"), /does not roll back/],
  ['deploy on every branch', (t) => t.replace(/stage\('Deploy to staging'\) \{\s*when \{ branch 'main' \}/, "stage('Deploy to staging') {"), /make deploy ENV=staging.* is not limited to a branch/],
  ['an approval anyone may give', (t) => t.replace(/submitter '[^']*'/, ''), /input: no submitter/],
];

const work = mkdtempSync(join(tmpdir(), 'seau-jenkinsfile-'));
const files = [join(ROOT, 'Jenkinsfile')];
BREAKS.forEach(([, breakIt], i) => {
  const broken = breakIt(original);
  assert.notEqual(broken, original, `break ${i} changed nothing: the Jenkinsfile moved on, update the test`);
  const f = join(work, `Jenkinsfile.${i}`);
  writeFileSync(f, broken);
  files.push(f);
});
const results = readJenkinsfiles(files);
rmSync(work, { recursive: true, force: true });
const jenkinsfile = results[0];

test('the Jenkinsfile compiles (Groovy, CONVERSION phase) and runs against the stub DSL', () => {
  assert.equal(jenkinsfile.syntaxError, null);
  assert.equal(jenkinsfile.runError, null);
});

test('the Jenkinsfile is a declarative pipeline with every stage in order, approval before production, credentials where needed', () => {
  assert.deepEqual(structureProblems(jenkinsfile), []);
});

test('every make target and script the Jenkinsfile runs exists and resolves', () => {
  const { missing, unresolved } = missingCommands(jenkinsfile);
  assert.deepEqual(unresolved, []);
  assert.deepEqual(missing, [], `the repository lacks what the Jenkinsfile runs: ${missing.join(', ')}`);
});

BREAKS.forEach(([name, , complaint], i) => {
  test(`a broken Jenkinsfile is rejected: ${name}`, () => {
    assert.match(structureProblems(results[i + 1]).join('\n'), complaint);
  });
});

test('a make target the Makefile lacks is reported', () => {
  const tree = structuredClone(jenkinsfile);
  const targets = makeTargets();
  targets.delete('lint');
  assert.ok(missingCommands(tree, targets).missing.includes('make lint'));
});

test('commands are read as make targets or repository scripts', () => {
  assert.deepEqual(parseCommand('make deploy ENV=staging IMAGE="$IMAGE"'), { kind: 'make', target: 'deploy', vars: 'ENV=staging IMAGE="$IMAGE"' });
  assert.deepEqual(parseCommand('scripts/notify success'), { kind: 'script', path: 'scripts/notify' });
  assert.equal(parseCommand('make test && rm -rf /').kind, 'other');
  assert.equal(parseCommand('curl https://example.com | sh').kind, 'other');
});
