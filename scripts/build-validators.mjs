#!/usr/bin/env node
// Compiles schemas/*.json into standalone validation code so that carton
// never loads ajv's compiler at run time: loading ajv and compiling the config
// schema costs ~90 ms per process, requiring the generated module ~3 ms.
//
// Output (git-ignored, regenerate with `npm run build:schemas`):
//   src/generated/validators.js    CommonJS; validateConfig, validateState,
//                                  validateFeatures, validateResources,
//                                  validateProcess, patternHints
//   src/generated/validators.d.ts  types for the above
//
// Deterministic: schema files are loaded in sorted order and ajv's code
// generation is a pure function of its input; files are only rewritten when
// their content changes, so timestamps stay put for incremental builds.

import { readFileSync, readdirSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import Ajv from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const schemaDir = join(root, 'schemas');
const outDir = join(root, 'src', 'generated');

// Exported name -> file in schemas/ whose $id is the entry point.
const ENTRY_POINTS = {
  validateConfig: 'config.schema.json',
  validateState: 'state.schema.json',
  validateFeatures: 'features.schema.json',
  validateResources: 'config-linux-resources.json',
  validateProcess: 'process.schema.json',
};

// Annotation keyword: a human phrase replacing ajv's "must match pattern /…/"
// (which is unreadable for e.g. the SemVer regex). Collected below into
// `patternHints`, keyed by the pattern text that ajv reports in params.pattern.
const HINT = 'x-hint';

const files = readdirSync(schemaDir)
  .filter((f) => f.endsWith('.json'))
  .sort();
const schemas = new Map(files.map((f) => [f, JSON.parse(readFileSync(join(schemaDir, f), 'utf8'))]));

const ajv = new Ajv.default({
  strict: true,
  allErrors: false, // stop at the first error: cheaper, and we report one line anyway
  allowUnionTypes: true, // features.json allows null for optional members
  code: { source: true, esm: false },
  // One function per $ref target instead of inlining it at every use: the
  // uint32/uint64/enum definitions are used dozens of times, and the smaller
  // module (197 vs 227 KiB) loads and warms up faster.
  inlineRefs: false,
});

// Human-only annotations are dropped before compiling: ajv embeds (parts of)
// schema objects in the generated code, and these would only add bulk.
// Keys of these keywords' values are property/definition names, not keywords.
const ANNOTATIONS = new Set(['$comment', 'title', 'description', HINT]);
const NAME_MAPS = new Set(['properties', 'patternProperties', 'definitions', 'dependencies']);
const stripped = (node, namesOnly = false) => {
  if (Array.isArray(node)) return node.map((n) => stripped(n));
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (namesOnly) out[k] = stripped(v);
    else if (!ANNOTATIONS.has(k)) out[k] = stripped(v, NAME_MAPS.has(k));
  }
  return out;
};

for (const [file, schema] of schemas) {
  if (typeof schema.$id !== 'string') throw new Error(`schemas/${file}: missing $id`);
  ajv.addSchema(stripped(schema));
}

const refs = {};
for (const [name, file] of Object.entries(ENTRY_POINTS)) {
  const schema = schemas.get(file);
  if (!schema) throw new Error(`schemas/${file}: not found (entry point for ${name})`);
  refs[name] = schema.$id;
}

// Compile every schema (not just the entry points) so that strict-mode
// problems in any file fail the build, then generate the module.
for (const schema of schemas.values()) ajv.getSchema(schema.$id);
let code = standaloneCode.default(ajv, refs);

const hints = {};
const collect = (node, where) => {
  if (Array.isArray(node)) return node.forEach((n, i) => collect(n, `${where}/${i}`));
  if (node === null || typeof node !== 'object') return;
  if (typeof node[HINT] === 'string') {
    if (typeof node.pattern !== 'string') throw new Error(`${where}: ${HINT} without pattern`);
    const prev = hints[node.pattern];
    if (prev !== undefined && prev !== node[HINT]) throw new Error(`${where}: conflicting ${HINT} for ${node.pattern}`);
    hints[node.pattern] = node[HINT];
  }
  for (const [k, v] of Object.entries(node)) collect(v, `${where}/${k}`);
};
for (const [file, schema] of schemas) collect(schema, `schemas/${file}#`);
const sortedHints = Object.fromEntries(Object.entries(hints).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

// The generated code may only depend on ajv's tiny runtime helpers, never on
// ajv itself. Self-contained helpers (ucs2length) are inlined so the module
// needs nothing from node_modules: resolving a package at run time costs
// about a millisecond, more than the helper is worth.
code = code.replace(/require\("(ajv\/dist\/runtime\/[a-z0-9_]+)"\)/gi, (call, spec) => {
  const src = readFileSync(require.resolve(spec), 'utf8')
    .replace(/^\/\/# sourceMappingURL=.*$/m, '')
    .replace(/^\w+\.code = .*$/m, ''); // codegen metadata: the require string we are replacing
  if (/\brequire\(/.test(src)) return call; // has dependencies of its own: keep the require
  return `(function(){const exports={};${src.trim()}\nreturn exports;})()`;
});
for (const m of code.matchAll(/require\(("[^"]*"|'[^']*')\)/g)) {
  if (!/^["']ajv\/dist\/runtime\//.test(m[1])) throw new Error(`generated code requires ${m[1]}`);
}

const header =
  '// GENERATED by scripts/build-validators.mjs from schemas/*.json. Do not edit.\n' + '/* eslint-disable */\n';
code = header + code.trimEnd() + '\n' + `exports.patternHints = ${JSON.stringify(sortedHints, null, 2)};\n`;

const dts = `${header}
/** An ajv error object (subset of ajv's ErrorObject that the generated code produces). */
export interface ValidationError {
  /** JSON pointer to the offending value; "" is the document root. */
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, any>;
  /** Set when the error is about an object key (propertyNames). */
  propertyName?: string;
  message?: string;
}

/** Standalone ajv validate function: returns true when valid, otherwise sets \`errors\`. */
export interface Validator {
  (data: unknown): boolean;
  errors?: ValidationError[] | null;
}

${Object.entries(ENTRY_POINTS)
  .map(([name, file]) => `/** schemas/${file} */\nexport declare const ${name}: Validator;`)
  .join('\n')}

/** Schema pattern -> phrase to use instead of ajv's "must match pattern" message. */
export declare const patternHints: Readonly<Record<string, string>>;
`;

mkdirSync(outDir, { recursive: true });
const write = (file, text) => {
  const path = join(outDir, file);
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return false;
  writeFileSync(path, text);
  return true;
};
const changed = [write('validators.js', code), write('validators.d.ts', dts)].some(Boolean);
console.log(
  `build-validators: ${files.length} schema files -> src/generated/validators.{js,d.ts}` +
    ` (${(code.length / 1024).toFixed(1)} KiB${changed ? '' : ', unchanged'})`,
);
