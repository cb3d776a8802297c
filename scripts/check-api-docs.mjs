// Fails (exit 1) when a package exports something without a doc comment: every export of
// each published packages/*/src/index.ts, followed to its declaration, must carry TSDoc. Run by
// `pnpm run docs` before TypeDoc (whose own notDocumented check does not report in 0.28:
// TypeStrong/typedoc#3046). Prints one line per undocumented export.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
// Published packages only: a private one (@sluice/test-support) has no API reference.
const entries = readdirSync(join(root, 'packages'))
  .filter((name) => JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8')).private !== true)
  .map((name) => join(root, 'packages', name, 'src', 'index.ts'));
const program = ts.createProgram(entries, {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  customConditions: ['sluice-source'],
  noEmit: true,
});
const checker = program.getTypeChecker();
const missing = [];
for (const entry of entries) {
  const source = program.getSourceFile(entry);
  if (source === undefined) continue;
  for (const exported of checker.getExportsOfModule(checker.getSymbolAtLocation(source))) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const documented = (symbol.declarations ?? []).some((declaration) => ts.getJSDocCommentsAndTags(declaration).length > 0);
    if (!documented) {
      const at = symbol.declarations?.[0];
      const where = at ? `${at.getSourceFile().fileName.slice(root.length)}:${at.getSourceFile().getLineAndCharacterOfPosition(at.getStart()).line + 1}` : entry;
      missing.push(`${where}: export "${exported.name}" has no doc comment`);
    }
  }
}
for (const line of missing) console.error(line);
if (missing.length > 0) process.exit(1);
console.log(`check-api-docs: every export of ${entries.length} packages is documented`);
