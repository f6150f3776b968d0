// What tests/backstage/ asks of Backstage's own code, without a Backstage instance.
//
//   node scaffolder.cjs validate < {"entities": [...]}
//     each entity through the catalog's entity policies and its kind's validator (Template v1beta3
//     from @backstage/plugin-scaffolder-common, the built-in kinds from @backstage/catalog-model);
//     prints [{"ok": true} | {"ok": false, "error": "..."}].
//   node scaffolder.cjs render < {"template": {...}, "templateDir": "...", "parameters": {...}, "engine": "nunjitsu"|"nunjucks"}
//     runs the template's fetch:template step the way the scaffolder does: its input rendered against
//     {parameters} (step-input rendering), then every skeleton file (file names too, .njk handling
//     of templateFileExtension, trimBlocks/lstripBlocks); prints {"values": {...}, "files": {path: text}}.
//
// Engines: scaffolder-backend 4.x renders with nunjitsu (NunjucksWorkflowRunner.render and
// templateActionHandler, createTemplateRenderer with allowRegexExecution); 3.x rendered with
// nunjucks inside isolated-vm (SecureTemplater: autoescape off, variableStart "${{", filters'
// results passed through JSON, single-expression inputs wrapped in `| dump` and JSON-parsed). Both
// are reproduced here with the same options; the filters are Backstage's own: parseEntityRef is
// @backstage/catalog-model's parseEntityRef and pick is lodash's get (scaffolder-backend
// lib/templating/filters).
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const catalogModel = require('@backstage/catalog-model');
const lodash = require('lodash');
const nunjitsu = require('nunjitsu');
const nunjucks = require('nunjucks');

const FILTERS = { parseEntityRef: catalogModel.parseEntityRef, pick: lodash.get };

async function validate(entity) {
  // Loaded here only: the scaffolder package pulls in every SCM integration (slow to load).
  const { templateEntityV1beta3Validator } = require('@backstage/plugin-scaffolder-common');
  const KIND_VALIDATORS = [
    templateEntityV1beta3Validator,
    catalogModel.componentEntityV1alpha1Validator,
    catalogModel.resourceEntityV1alpha1Validator,
    catalogModel.locationEntityV1alpha1Validator,
  ];
  // The catalog's default entity policies (catalog-backend's processing engine applies these).
  const POLICIES = [
    new catalogModel.SchemaValidEntityPolicy(),
    new catalogModel.DefaultNamespaceEntityPolicy(),
    new catalogModel.NoForeignRootFieldsEntityPolicy(),
    new catalogModel.FieldFormatEntityPolicy(),
  ];
  try {
    let current = entity;
    for (const policy of POLICIES) {
      current = (await policy.enforce(current)) ?? current;
    }
    for (const validator of KIND_VALIDATORS) {
      if (await validator.check(current)) {
        return { ok: true };
      }
    }
    return { ok: false, error: `no validator for ${entity.apiVersion} ${entity.kind}` };
  } catch (error) {
    return { ok: false, error: String(error.message || error) };
  }
}

function nunjitsuEngine() {
  const steps = nunjitsu.createTemplateRenderer({ allowRegexExecution: true, filters: FILTERS });
  return {
    renderInput(input, context) {
      const prepared = steps.prepareContext(context);
      return JSON.parse(JSON.stringify(input), (_key, value) => {
        try {
          if (typeof value === 'string') {
            return steps.renderValue(value, prepared, { coercion: 'json' });
          }
        } catch {
          return value;
        }
        return value;
      });
    },
    fileRenderer(options) {
      const files = nunjitsu.createTemplateRenderer({
        filters: FILTERS,
        allowRegexExecution: true,
        cookiecutterCompat: false,
        trimBlocks: options.trimBlocks,
        lstripBlocks: options.lstripBlocks,
      });
      return (text, context) => files.render(text, files.prepareContext(context));
    },
  };
}

function nunjucksEnvironment(options) {
  const env = nunjucks.configure({
    autoescape: false,
    ...options,
    tags: { variableStart: '${{', variableEnd: '}}' },
  });
  for (const [name, filter] of Object.entries(FILTERS)) {
    env.addFilter(name, (input, ...rest) => {
      const result = filter(input, ...rest);
      const text = result === undefined ? '' : JSON.stringify(result);
      return text === '' ? undefined : JSON.parse(text);
    });
  }
  return (text, context) => env.renderString(text, JSON.parse(JSON.stringify(context)));
}

function nunjucksEngine() {
  const render = nunjucksEnvironment({});
  const isSingleTemplateString = (input) => {
    const parsed = nunjucks.parser.parse(input, {}, {
      autoescape: false,
      tags: { variableStart: '${{', variableEnd: '}}' },
    });
    return (
      parsed.children.length === 1 &&
      !(parsed.children[0]?.children?.[0] instanceof nunjucks.nodes.TemplateData)
    );
  };
  return {
    renderInput(input, context) {
      return JSON.parse(JSON.stringify(input), (_key, value) => {
        try {
          if (typeof value === 'string') {
            try {
              if (isSingleTemplateString(value)) {
                const dumped = render(value.replace(/\${{(.+)}}/g, '${{ ( $1 ) | dump }}'), context);
                return dumped === '' ? undefined : JSON.parse(dumped);
              }
            } catch {
              // not JSON: rendered as text below, as the scaffolder does
            }
            const text = render(value, context);
            return text === '' ? undefined : text;
          }
        } catch {
          return value;
        }
        return value;
      });
    },
    fileRenderer: (options) => nunjucksEnvironment(options),
  };
}

function listFiles(root, prefix = '') {
  const found = [];
  for (const entry of fs.readdirSync(path.join(root, prefix), { withFileTypes: true })) {
    const relative = path.posix.join(prefix, entry.name);
    if (entry.isDirectory()) {
      found.push(...listFiles(root, relative));
    } else {
      found.push(relative);
    }
  }
  return found.sort();
}

function render(request) {
  const engine = { nunjitsu: nunjitsuEngine, nunjucks: nunjucksEngine }[request.engine]();
  const step = request.template.spec.steps.find((s) => s.action === 'fetch:template');
  const input = engine.renderInput(step.input, { parameters: request.parameters });
  const skeleton = path.resolve(request.templateDir, input.url);
  const renderText = engine.fileRenderer({ trimBlocks: input.trimBlocks, lstripBlocks: input.lstripBlocks });
  let extension = false;
  if (input.templateFileExtension) {
    extension = input.templateFileExtension === true ? '.njk' : input.templateFileExtension;
    if (!extension.startsWith('.')) extension = `.${extension}`;
  }
  const context = { values: input.values };
  const files = {};
  for (const location of listFiles(skeleton)) {
    let output = location;
    let renderContents = true;
    if (extension) {
      renderContents = path.extname(output) === extension;
      if (renderContents) output = output.slice(0, -extension.length);
    }
    output = renderText(output, context);
    if (output === '' || output.startsWith('/') || output.includes('//')) continue;
    const text = fs.readFileSync(path.join(skeleton, location), 'utf-8');
    files[output] = renderContents ? renderText(text, context) : text;
  }
  return { values: input.values, files };
}

async function main() {
  const request = JSON.parse(fs.readFileSync(0, 'utf-8'));
  const command = process.argv[2];
  let result;
  if (command === 'validate') {
    result = [];
    for (const entity of request.entities) result.push(await validate(entity));
  } else if (command === 'render') {
    result = render(request);
  } else {
    throw new Error(`unknown command ${command}: use validate or render`);
  }
  process.stdout.write(JSON.stringify(result));
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
