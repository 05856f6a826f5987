// The Terraform module and environments: formatted, loadable by Terraform
// itself (terraform get + providers), every file parsed as HCL2, every
// reference declared, the security properties of the bucket, the event path,
// the IRSA role and the database, and agreement with the Kubernetes overlays.
// What this cannot prove without AWS: the provider's schema (terraform
// validate needs the provider plugin), the plan, and IAM's own evaluation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { K8S, TF, run, parseEnv } from './lib/common.mjs';
import { loadDir, loadVars, moduleProblems, referenceProblems } from './lib/terraform.mjs';

const TF_ENV = { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null', TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
const ENVS = ['staging', 'production'];
const MODULE = join(TF, 'modules', 'seau');
const mod = await loadDir(MODULE);
const envs = Object.fromEntries(await Promise.all(ENVS.map(async (e) => [e, {
  tf: await loadDir(join(TF, 'environments', e)),
  vars: await loadVars(join(TF, 'environments', e, 'terraform.tfvars')),
  overlay: YAML.parse(readFileSync(join(K8S, 'overlays', e, 'kustomization.yaml'), 'utf8')),
  outputsEnv: parseEnv(readFileSync(join(K8S, 'overlays', e, 'terraform.env'), 'utf8')),
  config: parseEnv(readFileSync(join(K8S, 'overlays', e, 'config.env'), 'utf8')),
}])));
const moduleOutputs = { seau: new Set(Object.keys(mod.output)) };
const seau = (e) => envs[e].tf.module.seau[0];

test('terraform fmt -check -recursive passes, and fails on a misformatted copy', () => {
  const r = run('terraform', ['fmt', '-check', '-recursive', '-no-color', TF], { env: TF_ENV });
  assert.equal(r.status, 0, `unformatted: ${r.stdout}`);
  const work = mkdtempSync(join(tmpdir(), 'seau-tf-fmt-'));
  writeFileSync(join(work, 'bad.tf'), 'variable "x" {\n  type    =   string\n}\n');
  assert.notEqual(run('terraform', ['fmt', '-check', '-no-color', work], { env: TF_ENV }).status, 0);
  rmSync(work, { recursive: true, force: true });
});

test('Terraform itself loads each environment with its module (terraform get + providers)', () => {
  const work = mkdtempSync(join(tmpdir(), 'seau-tf-'));
  try {
    cpSync(TF, join(work, 'terraform'), { recursive: true });
    for (const e of ENVS) {
      const dir = join(work, 'terraform', 'environments', e);
      // The S3 backend wants credentials at init; the local one needs nothing.
      const versions = join(dir, 'versions.tf');
      writeFileSync(versions, readFileSync(versions, 'utf8').replace(/^\s*backend "s3" \{\}\n/m, ''));
      const get = run('terraform', ['get', '-no-color'], { cwd: dir, env: TF_ENV });
      assert.equal(get.status, 0, get.stderr);
      const providers = run('terraform', ['providers', '-no-color'], { cwd: dir, env: TF_ENV });
      assert.equal(providers.status, 0, providers.stderr);
      assert.match(providers.stdout, /module\.seau\n\s+└── provider\[registry\.terraform\.io\/hashicorp\/aws\]/);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('every file parses as HCL2 and every reference is declared', () => {
  assert.deepEqual(referenceProblems(mod), []);
  for (const e of ENVS) assert.deepEqual(referenceProblems(envs[e].tf, { moduleOutputs }), [], e);
});

test('the module: bucket, events, IRSA role and database have their security properties', () => {
  assert.deepEqual(moduleProblems(mod), []);
});

for (const e of ENVS) {
  test(`${e}: the environment gives the module what it needs and agrees with the Kubernetes overlay`, () => {
    const m = seau(e);
    const p = [];
    assert.equal(m.source, '../../modules/seau');
    const declared = new Set(Object.keys(mod.variable));
    for (const k of Object.keys(m)) if (!['source', 'providers', 'depends_on', 'count', 'for_each'].includes(k) && !declared.has(k)) p.push(`module input ${k} is not a variable of the module`);
    for (const [k, v] of Object.entries(mod.variable)) if (!('default' in v[0]) && !(k in m)) p.push(`module input ${k} (no default) is not set`);
    for (const k of Object.keys(envs[e].vars)) if (!envs[e].tf.variable[k]) p.push(`terraform.tfvars sets ${k}, which is not a variable`);
    for (const [k, v] of Object.entries(envs[e].tf.variable)) if (!('default' in v[0]) && !(k in envs[e].vars)) p.push(`terraform.tfvars lacks ${k}`);
    // The IRSA condition names the overlay's namespace and ServiceAccount.
    if (m.kubernetes_namespace !== envs[e].overlay.namespace) p.push(`namespace ${m.kubernetes_namespace} is not the overlay's ${envs[e].overlay.namespace}`);
    const sa = YAML.parse(readFileSync(join(K8S, 'base', 'serviceaccount.yaml'), 'utf8')).metadata.name;
    if ((m.kubernetes_service_account ?? mod.variable.kubernetes_service_account[0].default) !== sa) p.push(`service account is not ${sa}`);
    // The overlay's terraform.env is what this environment's kustomize_env output writes.
    const tmpl = envs[e].tf.output.kustomize_env?.[0]?.value ?? '';
    const keys = tmpl.split('\n').filter(Boolean).map((l) => l.split('=')[0]);
    if (JSON.stringify(keys.sort()) !== JSON.stringify(Object.keys(envs[e].outputsEnv).sort()))
      p.push(`kustomize_env writes ${keys}, the overlay's terraform.env has ${Object.keys(envs[e].outputsEnv)}`);
    const o = envs[e].outputsEnv;
    if (o.SEAU_BUCKETS !== envs[e].vars.bucket_name) p.push(`terraform.env bucket ${o.SEAU_BUCKETS} is not tfvars' ${envs[e].vars.bucket_name}`);
    if (o.AWS_REGION !== envs[e].vars.region) p.push(`terraform.env region ${o.AWS_REGION} is not tfvars' ${envs[e].vars.region}`);
    if (!o.SERVICE_ACCOUNT_ROLE_ARN?.endsWith(`:role/${m.name}`)) p.push(`terraform.env role ${o.SERVICE_ACCOUNT_ROLE_ARN} is not role/${m.name}`);
    if (!o.SEAU_SQS_QUEUE_URL?.endsWith(`/${m.name}-events`) || !o.SEAU_SQS_QUEUE_URL.includes(`sqs.${envs[e].vars.region}.`))
      p.push(`terraform.env queue ${o.SEAU_SQS_QUEUE_URL} is not ${m.name}-events in ${envs[e].vars.region}`);
    if (envs[e].vars.console_origin !== envs[e].config.SEAU_PUBLIC_URL)
      p.push(`CORS origin ${envs[e].vars.console_origin} is not the overlay's SEAU_PUBLIC_URL ${envs[e].config.SEAU_PUBLIC_URL}`);
    for (const out of ['role_arn', 'bucket_name', 'queue_url', 'db_endpoint', 'kustomize_env'])
      if (!envs[e].tf.output[out]) p.push(`no output ${out}`);
    assert.deepEqual(p, []);
  });
}

test('production: Multi-AZ, deletion protection and backups; staging may save', () => {
  const prod = seau('production');
  assert.equal(prod.db_multi_az, true);
  assert.equal(prod.db_deletion_protection, true);
  assert.ok(prod.db_backup_retention_days >= 7);
  assert.ok(seau('staging').db_backup_retention_days >= 7);
});

test('no secret is written in the Terraform files', () => {
  const files = [];
  const walk = (d) => { for (const f of readdirSync(d, { withFileTypes: true })) f.isDirectory() ? walk(join(d, f.name)) : /\.tf(vars)?$/.test(f.name) && files.push(join(d, f.name)); };
  walk(TF);
  for (const f of files) {
    const t = readFileSync(f, 'utf8');
    assert.doesNotMatch(t, /^\s*(password|secret|secret_key|access_key|token)\s*=\s*"/m, f);
    assert.doesNotMatch(t, /AKIA[0-9A-Z]{16}/, f);
  }
});

// Each property must be able to fail: weaken a copy, expect its complaint.
const R = (o) => o.resource;
const BREAKS = [
  ['versioning suspended', (o) => { R(o).aws_s3_bucket_versioning.files[0].versioning_configuration[0].status = 'Suspended'; }, /versioning is not enabled/],
  ['SSE-S3 instead of SSE-KMS', (o) => { R(o).aws_s3_bucket_server_side_encryption_configuration.files[0].rule[0].apply_server_side_encryption_by_default[0].sse_algorithm = 'AES256'; }, /not SSE-KMS/],
  ['AWS-managed key', (o) => { R(o).aws_s3_bucket_server_side_encryption_configuration.files[0].rule[0].apply_server_side_encryption_by_default[0].kms_master_key_id = 'alias/aws/s3'; }, /key this module manages/],
  ['public policies allowed', (o) => { R(o).aws_s3_bucket_public_access_block.files[0].block_public_policy = false; }, /block_public_policy is not true/],
  ['no public access block', (o) => { delete R(o).aws_s3_bucket_public_access_block; }, /restrict_public_buckets is not true/],
  ['ACLs back', (o) => { R(o).aws_s3_bucket_ownership_controls.files[0].rule[0].object_ownership = 'ObjectWriter'; }, /BucketOwnerEnforced/],
  ['CORS for any origin', (o) => { R(o).aws_s3_bucket_cors_configuration.files[0].cors_rule[0].allowed_origins = ['*']; }, /CORS origins .* are not the console's/],
  ['ETag hidden', (o) => { R(o).aws_s3_bucket_cors_configuration.files[0].cors_rule[0].expose_headers = []; }, /does not expose ETag/],
  ['multipart uploads kept a week', (o) => { R(o).aws_s3_bucket_lifecycle_configuration.files[0].rule[0].abort_incomplete_multipart_upload[0].days_after_initiation = 7; }, /aborting incomplete multipart uploads after 1 day/],
  ['noncurrent versions kept forever', (o) => { R(o).aws_s3_bucket_lifecycle_configuration.files[0].rule.pop(); }, /expiring noncurrent versions/],
  ['plain HTTP allowed', (o) => { delete R(o).aws_s3_bucket_policy; }, /deny requests without TLS/],
  ['any bucket may publish', (o) => { o.data.aws_iam_policy_document.topic[0].statement[0].condition = []; }, /limit publishing to this bucket/],
  ['any topic may deliver', (o) => { o.data.aws_iam_policy_document.queue[0].statement[0].condition[0].values = ['*']; }, /limit delivery to the topic/],
  ['no dead-letter queue', (o) => { delete R(o).aws_sqs_queue.events[0].redrive_policy; }, /no queue with a dead-letter queue/],
  ['queue not subscribed', (o) => { delete R(o).aws_sns_topic_subscription; }, /not subscribed/],
  ['notification without removals', (o) => { R(o).aws_s3_bucket_notification.files[0].topic[0].events = ['s3:ObjectCreated:*']; }, /misses s3:ObjectRemoved/],
  ['unencrypted topic', (o) => { delete R(o).aws_sns_topic.events[0].kms_master_key_id; }, /topic is not encrypted/],
  ['s3:* for the role', (o) => { o.data.aws_iam_policy_document.seau[0].statement[1].actions.push('s3:*'); }, /wildcard action s3:\*/],
  ['every resource for the role', (o) => { o.data.aws_iam_policy_document.seau[0].statement[0].resources = ['*']; }, /resource \* is not this bucket/],
  ['another service for the role', (o) => { o.data.aws_iam_policy_document.seau[0].statement[0].actions.push('iam:PassRole'); }, /outside S3, SQS and KMS/],
  ['a managed policy attached', (o) => { R(o).aws_iam_role_policy_attachment = { s3: [{ role: '${aws_iam_role.seau.name}', policy_arn: 'arn:aws:iam::aws:policy/AmazonS3FullAccess' }] }; }, /managed policies/],
  ['any service account may assume', (o) => { const c = o.data.aws_iam_policy_document.trust[0].statement[0].condition[0]; c.test = 'StringLike'; c.values = ['system:serviceaccount:*:*']; }, /does not pin sub/],
  ['no audience', (o) => { o.data.aws_iam_policy_document.trust[0].statement[0].condition.pop(); }, /does not pin aud/],
  ['public database', (o) => { R(o).aws_db_instance.db[0].publicly_accessible = true; }, /publicly_accessible is not false/],
  ['unencrypted database', (o) => { R(o).aws_db_instance.db[0].storage_encrypted = false; }, /storage is not encrypted/],
  ['PostgreSQL 14', (o) => { R(o).aws_db_instance.db[0].engine_version = '14.12'; }, /not PostgreSQL 15/],
  ['single AZ forever', (o) => { R(o).aws_db_instance.db[0].multi_az = false; }, /multi_az is neither/],
  ['a password in the configuration', (o) => { const d = R(o).aws_db_instance.db[0]; delete d.manage_master_user_password; d.password = 'hunter2hunter2'; }, /password is written/],
  ['one day of backups', (o) => { R(o).aws_db_instance.db[0].backup_retention_period = 1; }, /backups are not kept 7 days/],
  ['database open to the Internet', (o) => { R(o).aws_vpc_security_group_ingress_rule.db_from_cluster[0].cidr_ipv4 = '0.0.0.0/0'; }, /open to the Internet/],
];
for (const [name, breakIt, complaint] of BREAKS) {
  test(`a weakened module is rejected: ${name}`, () => {
    const copy = structuredClone(mod);
    breakIt(copy);
    assert.match(moduleProblems(copy).join('\n'), complaint);
  });
}

test('a weakened copy of the module files is rejected end to end (parse and check)', async () => {
  const work = mkdtempSync(join(tmpdir(), 'seau-tf-weak-'));
  const edit = (f, from, to) => {
    const t = readFileSync(join(work, f), 'utf8');
    assert.ok(t.includes(from), `${f} no longer has ${from}: update the test`);
    writeFileSync(join(work, f), t.replace(from, to));
  };
  try {
    cpSync(MODULE, work, { recursive: true });
    edit('rds.tf', 'publicly_accessible    = false', 'publicly_accessible    = true');
    edit('iam.tf', '"s3:GetObject",', '"s3:*",');
    edit('s3.tf', 'block_public_acls       = true', 'block_public_acls       = false');
    edit('iam.tf', 'identifiers = [var.oidc_provider_arn]', 'identifiers = [var.kubernetes_namespace]');
    const weak = await loadDir(work);
    const problems = moduleProblems(weak).join('\n');
    assert.match(problems, /publicly_accessible is not false/);
    assert.match(problems, /wildcard action s3:\*/);
    assert.match(problems, /block_public_acls is not true/);
    assert.match(problems, /trusts something other than the cluster's OIDC provider/);
    writeFileSync(join(work, 'typo.tf'), 'output "x" {\n  value = aws_s3_bucket.filez.arn\n}\noutput "y" {\n  value = var.nope\n}\n');
    const refs = referenceProblems(await loadDir(work)).join('\n');
    assert.match(refs, /aws_s3_bucket\.filez is not declared/);
    assert.match(refs, /var\.nope is not declared/);
    const env = { module: { seau: [{ source: '../../modules/seau' }] }, output: { x: [{ value: '${module.seau.nope}' }] } };
    assert.match(referenceProblems(env, { moduleOutputs }).join('\n'), /module\.seau\.nope is not an output/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
