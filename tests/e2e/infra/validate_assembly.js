#!/usr/bin/env node
// Validates a cloud assembly directory against @aws-cdk/cloud-assembly-schema's JSON schemas:
// manifest.json with cloud-assembly.schema.json and every asset manifest with
// assets.schema.json, using Ajv in strict mode with all errors. The published schemas leave
// objects open; we also validate a closed copy (additionalProperties: false wherever the schema
// lists properties) so a misspelt or invented field fails instead of being ignored by the CLI.
// One field aws-cdk-lib itself writes is missing from the schema: a stack artifact's
// properties.additionalDependencies (DefaultStackSynthesizer spreads it into the properties);
// the closed copy allows exactly that one.
// Usage: validate_assembly.js ASSEMBLY_DIR   (exit 0 when valid, 1 with the errors otherwise)
'use strict';
const fs = require('fs');
const path = require('path');
const Ajv = require('ajv');

const schemaDir = path.join(path.dirname(require.resolve('@aws-cdk/cloud-assembly-schema/package.json')), 'schema');
const load = (name) => JSON.parse(fs.readFileSync(path.join(schemaDir, name), 'utf8'));

function closed(schema) {
  if (Array.isArray(schema)) return schema.map(closed);
  if (schema === null || typeof schema !== 'object') return schema;
  const out = {};
  for (const [k, v] of Object.entries(schema)) {
    // "properties" maps names to schemas: recurse into the values, not the map itself.
    out[k] = k === 'properties' || k === 'definitions'
      ? Object.fromEntries(Object.entries(v).map(([n, s]) => [n, closed(s)]))
      : closed(v);
  }
  if (out.properties && out.additionalProperties === undefined) {
    if (out.properties.templateFile && out.properties.stackTemplateAssetObjectUrl) {
      out.properties.additionalDependencies = { type: 'array', items: { type: 'string' } };
    }
    out.additionalProperties = false;
  }
  return out;
}

function validator(schema) {
  const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true });
  return ajv.compile(schema);
}

const dir = process.argv[2];
if (!dir) { console.error('usage: validate_assembly.js DIR'); process.exit(2); }

const assemblySchema = load('cloud-assembly.schema.json');
const assetsSchema = load('assets.schema.json');
const checks = [
  ['cloud-assembly', validator(assemblySchema), validator(closed(assemblySchema))],
  ['assets', validator(assetsSchema), validator(closed(assetsSchema))],
];

let failures = 0;
function check(file, [label, open, strict]) {
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const [kind, validate] of [['schema', open], ['closed schema', strict]]) {
    if (!validate(doc)) {
      failures++;
      console.error(`${path.basename(file)}: invalid against the ${label} ${kind}:`);
      for (const e of validate.errors) console.error(`  ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
    }
  }
  return doc;
}

const manifest = check(path.join(dir, 'manifest.json'), checks[0]);
const expectedVersion = `${load('version.json').revision}.0.0`;
if (manifest.version !== '55.0.0') { failures++; console.error(`manifest version ${manifest.version}, want 55.0.0`); }
if (expectedVersion.split('.')[0] !== '55') { failures++; console.error(`schema package revision ${expectedVersion}`); }
let assetManifests = 0;
for (const [id, artifact] of Object.entries(manifest.artifacts || {})) {
  if (artifact.type === 'cdk:asset-manifest') {
    check(path.join(dir, artifact.properties.file), checks[1]);
    assetManifests++;
  }
  if (artifact.type === 'aws:cloudformation:stack') {
    const template = path.join(dir, artifact.properties.templateFile);
    if (!fs.existsSync(template)) { failures++; console.error(`${id}: missing ${template}`); }
    for (const dep of artifact.dependencies || []) {
      if (!manifest.artifacts[dep]) { failures++; console.error(`${id}: unknown dependency ${dep}`); }
    }
  }
}
if (assetManifests === 0) { failures++; console.error('no asset manifests'); }
if (failures) process.exit(1);
console.log(`valid: manifest.json and ${assetManifests} asset manifests`);
