// The Dockerfile's package lists against what the build really links: every
// library CMake asks pkg-config (or find_library) for must have its -dev
// package in the `server` stage and its runtime package in the image. A
// library added to CMakeLists.txt and forgotten here breaks only the image
// build, far from the change; this check names it in the same suite.
// The packages are found the way Debian knows them: dpkg -S on the .pc file
// (the -dev package) and on the shared object it resolves to (the runtime).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, realpathSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ROOT, run } from './lib/common.mjs';

const LIBDIRS = ['/usr/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib'];

// Stage name (or "image" for the unnamed last one) -> the packages its
// `apt-get install` lines name.
function stagePackages(text) {
  const joined = text.replace(/\\\n/g, ' ');
  const stages = {};
  let current = null;
  for (const line of joined.split('\n')) {
    const from = line.match(/^FROM\s+\S+(?:\s+AS\s+(\S+))?/i);
    if (from) {
      current = from[1] ?? 'image';
      stages[current] = new Set();
      continue;
    }
    const install = line.match(/apt-get install ([^&]*)/);
    if (install && current) {
      for (const word of install[1].split(/\s+/)) {
        if (word && !word.startsWith('-')) stages[current].add(word);
      }
    }
  }
  return stages;
}

// The pkg-config modules of pkg_check_modules and the names of find_library.
function cmakeLibraries(text) {
  const modules = [];
  for (const m of text.matchAll(/pkg_check_modules\(\s*\S+\s+REQUIRED\s+IMPORTED_TARGET\s+([^)]*)\)/g)) {
    modules.push(...m[1].split(/\s+/).filter(Boolean));
  }
  const found = [...text.matchAll(/find_library\(\s*\S+\s+(\S+)/g)].map((m) => m[1]);
  return { modules, found };
}

function owner(path) {
  // usrmerge: /lib and /usr/lib are one, but dpkg knows one of the names.
  const r = run('dpkg', ['-S', `*/${basename(path)}`]);
  assert.equal(r.status, 0, `dpkg -S ${path}: ${r.stderr}`);
  const line = r.stdout.split('\n').find((l) => l.endsWith(path) || l.includes(`/${basename(path)}`));
  return line.split(':')[0];
}

function sharedObject(name) {
  for (const dir of LIBDIRS) {
    const p = join(dir, `lib${name}.so`);
    if (existsSync(p)) return realpathSync(p);
  }
  throw new Error(`lib${name}.so not found in ${LIBDIRS.join(', ')}`);
}

const dockerfile = stagePackages(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const cmake = cmakeLibraries(readFileSync(join(ROOT, 'CMakeLists.txt'), 'utf8'));

test('the Dockerfile has a server stage and an image stage that install packages', () => {
  assert.ok(dockerfile.server?.size > 0, 'no apt-get install in the server stage');
  assert.ok(dockerfile.image?.size > 0, 'no apt-get install in the image stage');
  assert.ok(cmake.modules.length >= 5, `CMakeLists.txt's pkg-config modules not found: ${cmake.modules}`);
});

test('every pkg-config module of the build has its -dev package in the server stage and its library in the image', () => {
  const missing = [];
  for (const module of cmake.modules) {
    const pc = run('pkg-config', ['--path', module]);
    assert.equal(pc.status, 0, `pkg-config --path ${module}: ${pc.stderr}`);
    const dev = owner(pc.stdout.trim());
    if (!dockerfile.server.has(dev)) missing.push(`server stage lacks ${dev} (pkg-config ${module})`);
    const libs = run('pkg-config', ['--libs-only-l', module]).stdout.split(/\s+/).filter(Boolean);
    for (const flag of libs) {
      const runtime = owner(sharedObject(flag.slice(2)));
      if (!dockerfile.image.has(runtime)) missing.push(`image stage lacks ${runtime} (${flag} of ${module})`);
    }
  }
  assert.deepEqual(missing, []);
});

test('every find_library of the build has its -dev package in the server stage and its library in the image', () => {
  const missing = [];
  for (const name of cmake.found) {
    const so = sharedObject(name);
    const dev = owner(join(LIBDIRS.find((d) => existsSync(join(d, `lib${name}.so`))), `lib${name}.so`));
    if (!dockerfile.server.has(dev)) missing.push(`server stage lacks ${dev} (find_library ${name})`);
    const runtime = owner(so);
    if (!dockerfile.image.has(runtime)) missing.push(`image stage lacks ${runtime} (lib${name})`);
  }
  assert.deepEqual(missing, []);
});
