// Reads Terraform folders as HCL2 (@cdktf/hcl2json: HashiCorp's HCL parser
// compiled to WebAssembly) and checks the properties Seau's AWS resources must
// have. Expressions arrive as "${...}" strings; references are compared as text.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';

// Every .tf (and .tfvars) file of a folder, merged into one document.
export async function loadDir(dir) {
  const merged = {};
  const files = readdirSync(dir).filter((f) => f.endsWith('.tf')).sort();
  if (!files.length) throw new Error(`${dir}: no .tf files`);
  for (const f of files) mergeInto(merged, await parse(f, readFileSync(join(dir, f), 'utf8')));
  return merged;
}
export async function loadVars(file) {
  return parse(file, readFileSync(file, 'utf8'));
}
function mergeInto(into, doc) {
  for (const [k, v] of Object.entries(doc)) {
    if (Array.isArray(v)) into[k] = [...(into[k] ?? []), ...v];
    else if (v && typeof v === 'object') mergeInto((into[k] ??= {}), v);
    else into[k] = v;
  }
}

const one = (blocks) => (Array.isArray(blocks) ? blocks[0] : blocks);
const ref = (type, name, attr) => `\${${type}.${name}.${attr}}`;
const statements = (doc) => (one(doc)?.statement ?? []);
const arr = (x) => (Array.isArray(x) ? x : x === undefined ? [] : [x]);

// The data source a policy attribute points at: "${data.aws_iam_policy_document.X.json}".
function policyDoc(tf, expr) {
  const m = /^\$\{data\.aws_iam_policy_document\.(\w+)\.json\}$/.exec(expr ?? '');
  return m ? one(tf.data?.aws_iam_policy_document?.[m[1]]) : undefined;
}
// Resources of a type whose attribute refers to a given resource.
function attachedTo(tf, type, attr, target) {
  return Object.entries(tf.resource?.[type] ?? {}).filter(([, b]) => one(b)[attr] === target).map(([n, b]) => [n, one(b)]);
}

export function moduleProblems(tf) {
  const p = [];
  const res = tf.resource ?? {};
  const buckets = Object.keys(res.aws_s3_bucket ?? {});
  if (buckets.length !== 1) return [`expected one aws_s3_bucket, found ${buckets.length}`];
  const b = buckets[0];
  const bucketId = ref('aws_s3_bucket', b, 'id');
  const bucketArn = ref('aws_s3_bucket', b, 'arn');
  const kmsKeys = Object.keys(res.aws_kms_key ?? {});
  const isOwnKeyArn = (x) => kmsKeys.some((k) => x === ref('aws_kms_key', k, 'arn') || x === ref('aws_kms_key', k, 'id'));
  for (const k of kmsKeys) if (one(res.aws_kms_key[k]).enable_key_rotation !== true) p.push(`KMS key ${k}: rotation is off`);

  // --- The bucket ---
  const [, versioning] = attachedTo(tf, 'aws_s3_bucket_versioning', 'bucket', bucketId)[0] ?? [];
  if (one(versioning?.versioning_configuration)?.status !== 'Enabled') p.push('S3: versioning is not enabled');
  const [, sse] = attachedTo(tf, 'aws_s3_bucket_server_side_encryption_configuration', 'bucket', bucketId)[0] ?? [];
  const byDefault = one(one(sse?.rule)?.apply_server_side_encryption_by_default);
  if (byDefault?.sse_algorithm !== 'aws:kms') p.push('S3: default encryption is not SSE-KMS');
  else if (!isOwnKeyArn(byDefault.kms_master_key_id)) p.push('S3: SSE-KMS does not use a key this module manages');
  const [, pab] = attachedTo(tf, 'aws_s3_bucket_public_access_block', 'bucket', bucketId)[0] ?? [];
  for (const k of ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'])
    if (pab?.[k] !== true) p.push(`S3: public access block: ${k} is not true`);
  const [, own] = attachedTo(tf, 'aws_s3_bucket_ownership_controls', 'bucket', bucketId)[0] ?? [];
  if (one(own?.rule)?.object_ownership !== 'BucketOwnerEnforced') p.push('S3: object ownership is not BucketOwnerEnforced');
  const [, cors] = attachedTo(tf, 'aws_s3_bucket_cors_configuration', 'bucket', bucketId)[0] ?? [];
  const corsRules = arr(cors?.cors_rule);
  if (!corsRules.length) p.push('S3: no CORS rule (browsers cannot upload directly)');
  for (const r of corsRules) {
    if (!arr(r.expose_headers).includes('ETag')) p.push('S3: CORS does not expose ETag (multipart uploads cannot complete)');
    if (!arr(r.allowed_methods).includes('PUT')) p.push('S3: CORS does not allow PUT');
    const origins = arr(r.allowed_origins);
    if (!origins.length || origins.some((o) => o.includes('*'))) p.push(`S3: CORS origins ${JSON.stringify(origins)} are not the console's`);
    else if (!origins.every((o) => /^\$\{var\.\w+\}$/.test(o) || /^https:\/\/[^/*]+$/.test(o))) p.push(`S3: CORS origin ${origins} is not an https origin`);
  }
  const [, lc] = attachedTo(tf, 'aws_s3_bucket_lifecycle_configuration', 'bucket', bucketId)[0] ?? [];
  const rules = arr(lc?.rule).filter((r) => r.status === 'Enabled');
  if (!rules.some((r) => one(r.abort_incomplete_multipart_upload)?.days_after_initiation === 1))
    p.push('S3: no lifecycle rule aborting incomplete multipart uploads after 1 day');
  if (!rules.some((r) => one(r.noncurrent_version_expiration)?.noncurrent_days !== undefined))
    p.push('S3: no lifecycle rule expiring noncurrent versions');
  const [, bp] = attachedTo(tf, 'aws_s3_bucket_policy', 'bucket', bucketId)[0] ?? [];
  const denyTls = statements(policyDoc(tf, bp?.policy)).some((s) => s.effect === 'Deny' &&
    arr(s.condition).some((c) => c.variable === 'aws:SecureTransport' && arr(c.values).includes('false')));
  if (!denyTls) p.push('S3: the bucket policy does not deny requests without TLS');

  // --- S3 -> SNS -> SQS ---
  const topics = Object.keys(res.aws_sns_topic ?? {});
  if (topics.length !== 1) p.push(`expected one SNS topic, found ${topics.length}`);
  const t = topics[0];
  const topicArn = ref('aws_sns_topic', t, 'arn');
  if (t && !isOwnKeyArn(one(res.aws_sns_topic[t]).kms_master_key_id)) p.push('SNS: the topic is not encrypted with the module\'s key');
  const [, tp] = attachedTo(tf, 'aws_sns_topic_policy', 'arn', topicArn)[0] ?? [];
  const publish = statements(policyDoc(tf, tp?.policy)).find((s) => arr(s.actions).includes('sns:Publish'));
  if (!publish) p.push('SNS: no topic policy lets S3 publish');
  else {
    if (!arr(publish.principals).some((pr) => pr.type === 'Service' && arr(pr.identifiers).includes('s3.amazonaws.com')))
      p.push('SNS: the topic policy does not name s3.amazonaws.com');
    if (!arr(publish.condition).some((c) => c.variable === 'aws:SourceArn' && arr(c.values).includes(bucketArn)))
      p.push('SNS: the topic policy does not limit publishing to this bucket (aws:SourceArn)');
  }
  const [, notif] = attachedTo(tf, 'aws_s3_bucket_notification', 'bucket', bucketId)[0] ?? [];
  const nt = arr(notif?.topic).find((x) => x.topic_arn === topicArn);
  if (!nt) p.push('S3: the bucket does not notify the topic');
  else for (const e of ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'])
    if (!arr(nt.events).includes(e)) p.push(`S3: notification misses ${e}`);
  if (notif && !arr(notif.depends_on).some((d) => d.startsWith('${aws_sns_topic_policy.')))
    p.push('S3: the notification does not wait for the topic policy (S3 checks it on creation)');

  const queues = Object.entries(res.aws_sqs_queue ?? {}).map(([n, q]) => [n, one(q)]);
  const main = queues.find(([, q]) => q.redrive_policy);
  if (!main) p.push('SQS: no queue with a dead-letter queue (redrive_policy)');
  else {
    const [qn, q] = main;
    const dlq = /deadLetterTargetArn\s*=\s*aws_sqs_queue\.(\w+)\.arn/.exec(q.redrive_policy)?.[1];
    if (!dlq || !res.aws_sqs_queue[dlq] || dlq === qn) p.push('SQS: the redrive policy names no other queue of this module');
    if (!/maxReceiveCount\s*=\s*\d+/.test(q.redrive_policy)) p.push('SQS: the redrive policy has no maxReceiveCount');
    for (const [n, qq] of queues) if (!isOwnKeyArn(qq.kms_master_key_id)) p.push(`SQS: queue ${n} is not encrypted with the module's key`);
    const queueArn = ref('aws_sqs_queue', qn, 'arn');
    const [, qp] = attachedTo(tf, 'aws_sqs_queue_policy', 'queue_url', ref('aws_sqs_queue', qn, 'id'))[0] ??
      attachedTo(tf, 'aws_sqs_queue_policy', 'queue_url', ref('aws_sqs_queue', qn, 'url'))[0] ?? [];
    const send = statements(policyDoc(tf, qp?.policy)).find((s) => arr(s.actions).includes('sqs:SendMessage'));
    if (!send) p.push('SQS: no queue policy lets SNS deliver');
    else {
      if (!arr(send.principals).some((pr) => pr.type === 'Service' && arr(pr.identifiers).includes('sns.amazonaws.com')))
        p.push('SQS: the queue policy does not name sns.amazonaws.com');
      if (!arr(send.condition).some((c) => c.variable === 'aws:SourceArn' && arr(c.values).includes(topicArn)))
        p.push('SQS: the queue policy does not limit delivery to the topic (aws:SourceArn)');
    }
    const sub = Object.values(res.aws_sns_topic_subscription ?? {}).map(one)
      .find((s) => s.topic_arn === topicArn && s.endpoint === queueArn);
    if (!sub || sub.protocol !== 'sqs') p.push('SNS: the queue is not subscribed to the topic');
  }

  // --- The IRSA role ---
  const roles = Object.entries(res.aws_iam_role ?? {}).map(([n, r]) => [n, one(r)]);
  if (roles.length !== 1) p.push(`expected one IAM role, found ${roles.length}`);
  const [roleName, role] = roles[0] ?? [];
  const trust = statements(policyDoc(tf, role?.assume_role_policy));
  if (!trust.length) p.push('IAM: the role\'s trust policy is not a policy document of this module');
  for (const s of trust) {
    if (JSON.stringify(arr(s.actions)) !== '["sts:AssumeRoleWithWebIdentity"]') p.push('IAM: the trust policy allows more than AssumeRoleWithWebIdentity');
    if (!arr(s.principals).every((pr) => pr.type === 'Federated' && JSON.stringify(arr(pr.identifiers)) === '["${var.oidc_provider_arn}"]'))
      p.push('IAM: the trust policy trusts something other than the cluster\'s OIDC provider');
    const conds = arr(s.condition).filter((c) => c.test === 'StringEquals');
    const sub = conds.find((c) => /:sub$/.test(c.variable));
    const aud = conds.find((c) => /:aud$/.test(c.variable));
    if (!sub || JSON.stringify(arr(sub.values)) !== '["system:serviceaccount:${var.kubernetes_namespace}:${var.kubernetes_service_account}"]')
      p.push('IAM: the trust policy does not pin sub to system:serviceaccount:NAMESPACE:SERVICEACCOUNT with StringEquals');
    if (!aud || JSON.stringify(arr(aud.values)) !== '["sts.amazonaws.com"]') p.push('IAM: the trust policy does not pin aud to sts.amazonaws.com');
    if (!sub || !aud || !/^\$\{local\.\w+\}:sub$|^\$\{var\.\w+\}:sub$/.test(sub.variable)) p.push('IAM: the sub condition is not keyed on the OIDC issuer');
  }
  if (Object.keys(res.aws_iam_role_policy_attachment ?? {}).length || Object.keys(res.aws_iam_policy_attachment ?? {}).length)
    p.push('IAM: managed policies are attached to the role (least privilege: inline, scoped statements only)');
  if (role?.managed_policy_arns?.length || role?.inline_policy) p.push('IAM: the role carries policies outside aws_iam_role_policy');
  const allowed = new Set([bucketArn, `${bucketArn}/*`, ...queues.map(([n]) => ref('aws_sqs_queue', n, 'arn')),
    ...kmsKeys.map((k) => ref('aws_kms_key', k, 'arn'))]);
  const policies = Object.values(res.aws_iam_role_policy ?? {}).map(one).filter((rp) => rp.role === ref('aws_iam_role', roleName, 'id') || rp.role === ref('aws_iam_role', roleName, 'name'));
  if (!policies.length) p.push('IAM: the role has no permissions policy');
  for (const rp of policies) {
    const doc = policyDoc(tf, rp.policy);
    if (!doc) { p.push('IAM: a role policy is not a policy document of this module'); continue; }
    for (const s of statements(doc)) {
      if ((s.effect ?? 'Allow') !== 'Allow') continue;
      if (s.not_actions || s.not_resources) p.push(`IAM: statement ${s.sid}: NotAction/NotResource grant too much`);
      for (const a of arr(s.actions)) {
        if (a.includes('*')) p.push(`IAM: statement ${s.sid}: wildcard action ${a}`);
        if (!/^(s3|sqs|kms):[A-Za-z]+$/.test(a)) p.push(`IAM: statement ${s.sid}: action ${a} is outside S3, SQS and KMS`);
      }
      for (const r of arr(s.resources))
        if (!allowed.has(r)) p.push(`IAM: statement ${s.sid}: resource ${r} is not this bucket, queue or key`);
    }
  }

  // --- PostgreSQL ---
  const dbs = Object.entries(res.aws_db_instance ?? {}).map(([n, d]) => [n, one(d)]);
  if (dbs.length !== 1) p.push(`expected one aws_db_instance, found ${dbs.length}`);
  for (const [n, d] of dbs) {
    if (d.engine !== 'postgres') p.push(`RDS ${n}: engine ${d.engine}, not postgres`);
    if (!/^15(\.|$)/.test(String(d.engine_version))) p.push(`RDS ${n}: engine_version ${d.engine_version}, not PostgreSQL 15`);
    if (d.storage_encrypted !== true) p.push(`RDS ${n}: storage is not encrypted`);
    if (d.publicly_accessible !== false) p.push(`RDS ${n}: publicly_accessible is not false`);
    if (d.multi_az !== '${var.db_multi_az}' && d.multi_az !== true) p.push(`RDS ${n}: multi_az is neither on nor the environment's choice`);
    if (d.deletion_protection !== '${var.db_deletion_protection}' && d.deletion_protection !== true)
      p.push(`RDS ${n}: deletion_protection is neither on nor the environment's choice`);
    const br = d.backup_retention_period;
    const brVar = /^\$\{var\.(\w+)\}$/.exec(br ?? '')?.[1];
    const brOk = typeof br === 'number' ? br >= 7
      : brVar && one(tf.variable?.[brVar]?.[0]?.validation ?? tf.variable?.[brVar]?.validation)?.condition?.includes(`var.${brVar} >= 7`);
    if (!brOk) p.push(`RDS ${n}: backups are not kept 7 days or more`);
    if (d.password !== undefined) p.push(`RDS ${n}: a password is written in the configuration`);
    if (d.manage_master_user_password !== true) p.push(`RDS ${n}: the master password is not managed by RDS (manage_master_user_password)`);
    if (d.skip_final_snapshot === true) p.push(`RDS ${n}: no final snapshot`);
    if (d.kms_key_id && !isOwnKeyArn(d.kms_key_id)) p.push(`RDS ${n}: encrypted with a key this module does not manage`);
  }
  for (const [n, r] of Object.entries(res.aws_vpc_security_group_ingress_rule ?? {}).map(([k, v]) => [k, one(v)])) {
    if (r.cidr_ipv4 === '0.0.0.0/0' || r.cidr_ipv6 === '::/0') p.push(`security group rule ${n}: open to the Internet`);
    if (r.from_port !== 5432 || r.to_port !== 5432) p.push(`security group rule ${n}: opens more than 5432`);
  }
  for (const [n, sg] of Object.entries(res.aws_security_group ?? {}).map(([k, v]) => [k, one(v)]))
    if (arr(sg.ingress).some((i) => arr(i.cidr_blocks).includes('0.0.0.0/0'))) p.push(`security group ${n}: open to the Internet`);

  // --- What the environments and the overlays need ---
  for (const o of ['role_arn', 'bucket_name', 'queue_url', 'db_endpoint', 'region'])
    if (!tf.output?.[o]) p.push(`module: no output ${o}`);
  return p;
}

// Every reference in the folder resolves to something declared there
// (the part of `terraform validate` that needs no provider schema).
export function referenceProblems(tf, { moduleOutputs = {} } = {}) {
  const p = [];
  const declared = (kind, type, name) => Boolean(tf[kind]?.[type]?.[name]);
  const walk = (v, where) => {
    if (typeof v === 'string') {
      if (!v.includes('${')) return;
      for (const m of v.matchAll(/(?<![\w.])([a-z][a-z0-9_]*)\.([a-z_][\w-]*)(?:\.([a-z_][\w-]*))?/g)) checkRef(m, where);
    } else if (Array.isArray(v)) v.forEach((x) => walk(x, where));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${where}.${k}`);
  };
  const BUILTIN = new Set(['each', 'count', 'path', 'self', 'terraform']);
  const checkRef = (m, where) => {
    const [, head, a, b] = m;
    if (BUILTIN.has(head) || /^\d/.test(head)) return;
    if (head === 'var') { if (!tf.variable?.[a]) p.push(`${where}: var.${a} is not declared`); return; }
    if (head === 'local') { if (!(tf.locals ?? []).some((l) => a in l)) p.push(`${where}: local.${a} is not declared`); return; }
    if (head === 'module') {
      if (!tf.module?.[a]) p.push(`${where}: module.${a} is not declared`);
      else if (b && moduleOutputs[a] && !moduleOutputs[a].has(b)) p.push(`${where}: module.${a}.${b} is not an output of the module`);
      return;
    }
    if (head === 'data') return; // data.TYPE.NAME: checked below
    if (/^(aws|random|tls)_/.test(head) && !declared('resource', head, a)) p.push(`${where}: ${head}.${a} is not declared`);
  };
  walk({ resource: tf.resource, output: tf.output, module: tf.module, locals: tf.locals, provider: tf.provider }, '');
  // data sources: data.TYPE.NAME
  const text = JSON.stringify({ resource: tf.resource, output: tf.output, module: tf.module, locals: tf.locals, data: tf.data });
  for (const m of text.matchAll(/(?<![\w.])data\.([a-z][a-z0-9_]*)\.([a-z_][\w-]*)/g))
    if (!declared('data', m[1], m[2])) p.push(`data.${m[1]}.${m[2]} is not declared`);
  return [...new Set(p)];
}
