// `npm run bench [-- <name> ...] [--quick] [--dataset <name>] [--only <section>]`: runs every bench/<name>.bench.ts (or the named ones) and writes bench/results/.
import * as fs from "fs";
import * as path from "path";
import { Benchmark, writeResults } from "./lib";

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes("--quick") || process.env.CI === "true";
  const at = args.indexOf("--dataset");
  if (at >= 0 && (at + 1 >= args.length || args[at + 1].startsWith("--"))) {
    console.error("bench: --dataset needs a dataset name, e.g. --dataset ml-1m");
    process.exit(2);
  }
  const dataset = at >= 0 ? args[at + 1] : undefined;
  const on = args.indexOf("--only");
  if (on >= 0 && (on + 1 >= args.length || args[on + 1].startsWith("--"))) {
    console.error("bench: --only needs a section name, e.g. npm run bench -- training --only sasrec");
    process.exit(2);
  }
  const only = on >= 0 ? args[on + 1] : undefined;
  const wanted = args.filter((a, i) => !a.startsWith("--") && !(at >= 0 && i === at + 1) && !(on >= 0 && i === on + 1));
  const all = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith(".bench.ts"))
    .map((f) => f.replace(/\.bench\.ts$/, ""))
    .sort();
  const unknown = wanted.filter((w) => !all.includes(w));
  if (unknown.length) {
    console.error(`bench: unknown benchmark(s) ${unknown.join(", ")}; known: ${all.join(", ")}`);
    process.exit(2);
  }
  const names = wanted.length ? wanted : all;
  for (const name of names) {
    const mod = (await import(path.join(__dirname, `${name}.bench.ts`))) as Benchmark | { default: Benchmark };
    const bench: Benchmark = "run" in mod ? mod : mod.default;
    if (dataset && !bench.takesDataset) {
      console.error(`bench: ${name} does not take --dataset (run it without the flag)`);
      process.exit(2);
    }
    if (only && !bench.sections?.includes(only)) {
      console.error(`bench: ${name} has no section "${only}"${bench.sections ? ` (sections: ${bench.sections.join(", ")})` : ""}`);
      process.exit(2);
    }
    console.log(`\n== bench ${name}${only ? ` --only ${only}` : ""}${quick ? " (quick)" : ""} ==`);
    const t0 = Date.now();
    const records = await bench.run({ quick, dataset, only });
    const file = writeResults([name, dataset, only].filter(Boolean).join("-"), records);
    for (const r of records) {
      const ratio = r.ratio === null ? "" : `  ratio ${r.ratio.toPrecision(3)} vs ${r.reference}`;
      console.log(`  ${r.metric}: ${r.value.toPrecision(4)} ${r.unit}${ratio}${r.goal ? `  (goal: ${r.goal})` : ""}`);
    }
    console.log(`  -> ${path.relative(process.cwd(), file)} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
