// Tests for notebook display: the figure mime bundle, show() through tslab's real display writer, and escaped HTML tables.
import { test, describe, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { trainingCurves, movieEmbeddingScatter } from "../../src/viz/figures";
import { figureMimeBundle, figureSummary, show, showTable, tableHtml, PLOTLY_MIME, publishMimeBundle } from "../../src/viz/display";
import { closeRenderer, plainFigure } from "../../src/viz/export";
import { decodePng, makeMovies, PNG_SIGNATURE } from "./figures-fixtures.test";

const EVIL = "<script>alert(1)</script>";

interface Captured {
  content: { data: Record<string, unknown>; metadata: Record<string, unknown>; transient: Record<string, unknown> };
  update: boolean;
}

/** tslab's internal module that holds the running cell's display writer (the same one its public display API uses). */
const jupyter = require("tslab/dist/jupyter") as { lastWriteDisplayData: ((c: Captured["content"], u: boolean) => void) | null };
let captured: Captured[] = [];

/** Pretends a tslab cell is running: installs a writer that records every display_data message. */
function startCell(): void {
  captured = [];
  jupyter.lastWriteDisplayData = (content, update) => captured.push({ content, update });
}

const fig = trainingCurves([{ name: "run", train: [1, 0.6, 0.5], validation: [1.1, 0.8, 0.7] }], { title: `Loss ${EVIL}` });

beforeEach(() => {
  jupyter.lastWriteDisplayData = null;
  delete process.env.CHROMIUM_PATH;
});

after(async () => {
  jupyter.lastWriteDisplayData = null;
  await closeRenderer();
});

describe("figureMimeBundle", () => {
  test("holds the Plotly JSON, the static PNG and text/plain, and never the plotly.js library", () => {
    const png = Buffer.concat([PNG_SIGNATURE, Buffer.from("rest")]);
    const bundle = figureMimeBundle(fig, { png });
    assert.deepEqual(Object.keys(bundle).sort(), [PLOTLY_MIME, "image/png", "text/plain"].sort());
    assert.deepEqual(bundle[PLOTLY_MIME], plainFigure(fig));
    assert.ok(Buffer.from(bundle["image/png"]!, "base64").equals(png));
    assert.equal(bundle["text/plain"], `Plotly figure "Loss ${EVIL}": 3 traces (3x scatter), 7 values`);
    const json = JSON.stringify(bundle);
    assert.ok(json.length < 10_000, `small: ${json.length} bytes`);
    assert.ok(!/plotly\.js v\d|Plotly\.newPlot|function\s*\(/.test(json), "no plotly.js source");
    assert.ok(!JSON.stringify(bundle[PLOTLY_MIME]).includes("<script"), "the title is escaped in the Plotly JSON");
  });

  test("SVG fallback and a note instead of a PNG", () => {
    const bundle = figureMimeBundle(fig, { svg: "<svg></svg>", note: "(no static image: no browser)" });
    assert.equal(bundle["image/svg+xml"], "<svg></svg>");
    assert.equal(bundle["image/png"], undefined);
    assert.match(bundle["text/plain"]!, /\n\(no static image: no browser\)$/);
  });

  test("typed arrays in a figure become JSON arrays", () => {
    const bundle = figureMimeBundle({ data: [{ type: "scatter", y: new Float32Array([1, 2]) as unknown as number[] }], layout: {} });
    assert.deepEqual((bundle[PLOTLY_MIME] as { data: { y: unknown }[] }).data[0].y, [1, 2]);
    assert.match(figureSummary({ data: [], layout: {} }), /\(untitled\): 0 traces/);
  });
});

describe("show", () => {
  test("emits ONE display_data with plotly JSON + real PNG + text through tslab's writer", async () => {
    startCell();
    await show(fig, { width: 500, height: 320 });
    assert.equal(captured.length, 1, "exactly one output");
    const [{ content, update }] = captured;
    assert.equal(update, false, "display_data, not update_display_data");
    assert.deepEqual(Object.keys(content.data).sort(), [PLOTLY_MIME, "image/png", "text/plain"].sort());
    assert.deepEqual(content.data[PLOTLY_MIME], plainFigure(fig));
    const png = decodePng(Buffer.from(content.data["image/png"] as string, "base64"));
    assert.deepEqual([png.width, png.height], [500, 320]);
    assert.ok(png.distinctPixels > 20);
    assert.deepEqual(content.metadata, {});
  });

  test("a 2x PNG carries its CSS size in the metadata", async () => {
    startCell();
    await show(fig, { width: 400, height: 250, scale: 2 });
    const png = decodePng(Buffer.from(captured[0].content.data["image/png"] as string, "base64"));
    assert.deepEqual([png.width, png.height], [800, 500]);
    assert.deepEqual(captured[0].content.metadata, { "image/png": { width: 400, height: 250 } });
  });

  test("without a browser the static image is skipped with a one-line note", async () => {
    process.env.CHROMIUM_PATH = "/nonexistent/chromium";
    startCell();
    await show(fig);
    const data = captured[0].content.data;
    assert.ok(data[PLOTLY_MIME]);
    assert.equal(data["image/png"], undefined);
    const lines = String(data["text/plain"]).split("\n");
    assert.equal(lines.length, 2);
    assert.match(lines[1], /no static image: .*npm run setup/);
  });

  test("outside a running cell it fails fast with a clear message", async () => {
    await assert.rejects(show(fig), /no running tslab notebook cell/);
    assert.throws(() => publishMimeBundle({ "text/plain": "x" }), /no running tslab notebook cell/);
  });

  test("hostile movie titles stay escaped inside the bundle", () => {
    const movies = makeMovies([`${EVIL} (2001)`], [["Drama"]]);
    const bundle = figureMimeBundle(movieEmbeddingScatter([[0, 0]], movies));
    const json = JSON.stringify(bundle[PLOTLY_MIME]);
    assert.ok(!json.includes("<script"));
    assert.ok(json.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
  });
});

describe("tables", () => {
  const rows = Array.from({ length: 25 }, (_, i) => ({ id: i, title: i === 0 ? EVIL : `Movie ${i}`, score: i / 3, tags: ["a", "b"] }));

  test("rows are escaped, limited to maxRows, with a '… N more rows' note", () => {
    const html = tableHtml(rows, { maxRows: 5 });
    assert.equal((html.match(/<tr>/g) ?? []).length, 6, "header + 5 rows");
    assert.ok(html.includes("<th>id</th><th>title</th><th>score</th><th>tags</th>"));
    assert.ok(html.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert.ok(!html.includes("<script"));
    assert.ok(html.includes('<td style="text-align:right">0.3333</td>'));
    assert.ok(html.includes("<td>a, b</td>"));
    assert.ok(html.includes("… 20 more rows"));
    assert.ok(!tableHtml(rows.slice(0, 3)).includes("more rows"));
    assert.ok(tableHtml([{ [EVIL]: 1 }]).includes("<th>&lt;script&gt;alert(1)&lt;/script&gt;</th>"));
  });

  test("a danfojs DataFrame shows its index and columns", () => {
    const dfd = require("danfojs-node") as { DataFrame: new (rows: object[]) => unknown };
    const df = new dfd.DataFrame(rows.map(({ tags: _tags, ...r }) => r));
    const html = tableHtml(df as Parameters<typeof tableHtml>[0], { maxRows: 3 });
    assert.ok(html.includes("<th></th><th>id</th><th>title</th><th>score</th>"));
    assert.ok(html.includes("<tr><th>0</th>"));
    assert.ok(html.includes("&lt;script&gt;"));
    assert.equal((html.match(/<tr>/g) ?? []).length, 4);
    assert.ok(html.includes("… 22 more rows"));
  });

  test("showTable emits one text/html + text/plain output", () => {
    startCell();
    showTable(rows, { maxRows: 10 });
    assert.equal(captured.length, 1);
    const data = captured[0].content.data;
    assert.deepEqual(Object.keys(data).sort(), ["text/html", "text/plain"]);
    assert.match(String(data["text/html"]), /… 15 more rows/);
    assert.equal(data["text/plain"], "Table: 25 rows x 4 columns (first 10 shown)");
  });
});
