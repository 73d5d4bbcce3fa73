// The JavaScript the dashboard ships, gzipped, against the budget (issue 5: at most 500 KB).
// Reads the build in surgiai/web/static; `npm run build` first.
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET_BYTES = 500_000;
const assets = new URL("../../surgiai/web/static/assets/", import.meta.url).pathname;

if (!existsSync(assets)) {
  console.error(`No build in ${assets}: run 'npm run build' (or 'make install') first.`);
  process.exit(1);
}

const rows = readdirSync(assets)
  .filter((name) => name.endsWith(".js"))
  .map((name) => {
    const raw = readFileSync(join(assets, name));
    return { name, raw: raw.length, gzip: gzipSync(raw, { level: 9 }).length };
  })
  .sort((a, b) => b.gzip - a.gzip);

const kb = (bytes) => `${(bytes / 1000).toFixed(1)} KB`;
for (const row of rows)
  console.log(`${kb(row.gzip).padStart(9)}  ${row.name} (${kb(row.raw)} raw)`);
const total = rows.reduce((sum, row) => sum + row.gzip, 0);
console.log(`${kb(total).padStart(9)}  all JavaScript, gzipped (budget ${kb(BUDGET_BYTES)})`);
if (total > BUDGET_BYTES) {
  console.error(`Over the JavaScript budget by ${kb(total - BUDGET_BYTES)}.`);
  process.exit(1);
}
