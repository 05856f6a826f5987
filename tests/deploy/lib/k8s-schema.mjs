// Validates Kubernetes objects against the API's schemas, in two passes:
//  - kubernetes-models (ajv validators generated from the OpenAPI document):
//    types, enums, required fields, formats;
//  - @kubernetes/client-node's model type maps: every field an object has must
//    be one its type declares, so a misspelt or misplaced field is caught
//    (the generated validators accept unknown properties).
// ServiceMonitor (a CRD) is checked with @kubernetes-models/prometheus-operator,
// its unknown fields against the field tree of that package's type declaration.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
// The package index pulls in the whole client, which does not load on Node 20;
// the generated models alone do.
import * as clientModels from '@kubernetes/client-node/dist/gen/models/all.js';

const require = createRequire(import.meta.url);

const CRDS = {
  'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
};

function modelModule(apiVersion, kind) {
  const crd = CRDS[apiVersion];
  return crd ? `${crd}/${kind}` : `kubernetes-models/${apiVersion}/${kind}`;
}

async function modelClass(apiVersion, kind) {
  try {
    const mod = await import(modelModule(apiVersion, kind));
    return mod[kind] ?? null;
  } catch {
    return null;
  }
}

// "apps/v1" + "Deployment" -> "V1Deployment"; "autoscaling/v2" -> "V2..."
function clientTypeName(apiVersion, kind) {
  const version = apiVersion.split('/').pop();
  return version.charAt(0).toUpperCase() + version.slice(1) + kind;
}

const LEAF_TYPES = new Set(['string', 'number', 'boolean', 'Date', 'any', 'object', 'IntOrString']);

function walkClientType(value, type, path, errors) {
  if (value === null || value === undefined || LEAF_TYPES.has(type)) return;
  let m = /^Array<(.+)>$/.exec(type);
  if (m) {
    if (Array.isArray(value)) value.forEach((v, i) => walkClientType(v, m[1], `${path}[${i}]`, errors));
    return;
  }
  m = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (m) {
    if (typeof value === 'object') for (const [k, v] of Object.entries(value)) walkClientType(v, m[1], `${path}.${k}`, errors);
    return;
  }
  const cls = clientModels[type];
  if (!cls || typeof cls.getAttributeTypeMap !== 'function') {
    errors.push(`${path}: no model for type ${type}`);
    return;
  }
  if (typeof value !== 'object' || Array.isArray(value)) return; // the schema pass reports wrong types
  const attrs = new Map(cls.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value)) {
    if (!attrs.has(k)) errors.push(`${path}.${k}: unknown field (not in ${type})`);
    else walkClientType(v, attrs.get(k), `${path}.${k}`, errors);
  }
}

// The field tree of a generated declaration such as ServiceMonitor.d.ts:
// nested `"name"?: {` / `"name": Array<{` blocks and `"name"?: type;` leaves.
// Returns { fields: Map(name -> subtree | null) } for the interface body.
export function declarationTree(text, interfaceName) {
  const start = text.indexOf(`export interface ${interfaceName} {`);
  if (start < 0) throw new Error(`no interface ${interfaceName}`);
  const lines = text.slice(start).split('\n').slice(1);
  const root = { fields: new Map() };
  const stack = [root];
  for (const raw of lines) {
    const line = raw.trim();
    if (stack.length === 0) break;
    const top = stack[stack.length - 1];
    let m;
    if ((m = /^"([^"]+)"\??: (?:Array<)?\{$/.exec(line))) {
      const node = { fields: new Map() };
      top.fields.set(m[1], node);
      stack.push(node);
    } else if ((m = /^"([^"]+)"\??: .*;$/.exec(line))) {
      // A map of free keys ({ [key: string]: ... }) or a leaf: no tree below.
      top.fields.set(m[1], /IObjectMeta/.test(line) ? 'ObjectMeta' : null);
    } else if (/^\}>?;?$/.test(line)) {
      stack.pop();
    } else if (/^\[key: string\]/.test(line)) {
      top.free = true;
    }
  }
  return root;
}

function walkTree(value, node, path, errors) {
  if (node === null || value === null || typeof value !== 'object') return;
  if (node === 'ObjectMeta') return walkClientType(value, 'V1ObjectMeta', path, errors);
  if (Array.isArray(value)) return value.forEach((v, i) => walkTree(v, node, `${path}[${i}]`, errors));
  if (node.free) return;
  for (const [k, v] of Object.entries(value)) {
    if (!node.fields.has(k)) errors.push(`${path}.${k}: unknown field`);
    else walkTree(v, node.fields.get(k), `${path}.${k}`, errors);
  }
}

const crdTrees = new Map();
function crdTree(apiVersion, kind) {
  const key = `${apiVersion}/${kind}`;
  if (!crdTrees.has(key)) {
    // The package's exports map hides the .d.ts; it sits beside the module.
    const file = require.resolve(modelModule(apiVersion, kind)).replace(/\.js$/, '.d.ts');
    crdTrees.set(key, declarationTree(readFileSync(file, 'utf8'), `I${kind}`));
  }
  return crdTrees.get(key);
}

// Every problem found in one object, as "Kind/name: path: message" strings.
export async function validateObject(obj) {
  const errors = [];
  if (!obj || typeof obj !== 'object' || !obj.apiVersion || !obj.kind) return ['object without apiVersion and kind'];
  const { apiVersion, kind } = obj;
  const label = `${kind}/${obj.metadata?.name ?? '?'}`;
  const Model = await modelClass(apiVersion, kind);
  if (!Model) return [`${label}: no schema for ${apiVersion} ${kind}`];
  try {
    new Model(obj).validate();
  } catch (e) {
    for (const part of String(e.message).split(', data')) errors.push(`schema: ${part.startsWith('data') ? part : 'data' + part}`);
  }
  if (CRDS[apiVersion]) {
    walkTree(obj, crdTree(apiVersion, kind), '', errors);
  } else {
    walkClientType(obj, clientTypeName(apiVersion, kind), '', errors);
  }
  return errors.map((e) => `${label}: ${e}`);
}
