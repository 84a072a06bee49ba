#!/usr/bin/env node
// Lints GitHub workflow files with actionlint's WebAssembly build (see install_actionlint.sh).
// Usage: node scripts/actionlint.cjs FILE...   Prints a JSON list of
// {file, line, column, kind, message}; exit 0 when clean, 1 with findings, 2 on errors.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..", ".tools", "actionlint", "node_modules", "@tktco", "node-actionlint");
(async () => {
  let runLint;
  try {
    ({ runLint } = require(path.join(root, "build", "run-lint.js")));
  } catch (err) {
    console.error(`actionlint is not installed (${err.code || err.message}): run scripts/install_actionlint.sh`);
    process.exit(2);
  }
  const results = [];
  for (const file of process.argv.slice(2)) {
    const found = await runLint(fs.readFileSync(file, "utf8"), file);
    for (const r of found || []) {
      if (r && r.message) results.push({ file, line: r.line, column: r.column, kind: r.kind, message: r.message });
    }
  }
  process.stdout.write(JSON.stringify(results) + "\n");
  process.exit(results.length ? 1 : 0);
})().catch((err) => {
  console.error(`actionlint failed: ${err && err.stack || err}`);
  process.exit(2);
});
