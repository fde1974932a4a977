// One headless renderer shared by several processes: a local HTTP endpoint that renders figures in this process's browser, for `npm run reproduce`'s notebook kernels.
//
// Every kernel that shows a figure would otherwise start its own Chromium and load plotly.js into it: about 1.2 s of
// the browser's CPU and 0.7 s of the kernel's, per notebook, before the first image. A batch run starts this service
// once and names it in each kernel's environment (RENDER_SERVICE_ENV); the kernels' renders (src/viz/export.ts) then
// POST the figure here and get the image back, rendered one after another on the one page. It listens on 127.0.0.1
// only, under a random path that only the processes given the address know.
import * as crypto from "crypto";
import * as http from "http";
import type { AddressInfo } from "net";
import { RenderRequest, renderHere } from "./export";

/** A running render service. */
export interface RenderService {
  /** The address to put in the environment variable RENDER_SERVICE_ENV (export.ts): `http://127.0.0.1:<port>/<random token>/render`. */
  readonly url: string;
  /** Renders served so far (failed ones included). */
  readonly renders: number;
  /** Stops listening (the browser stays up until `closeRenderer`). */
  close(): Promise<void>;
}

/** Requests larger than this are refused (a t-SNE scatter of 60,000 movies with titles is about 10 MB of JSON). */
const MAX_REQUEST_BYTES = 256 * 1024 * 1024;

const FORMATS = new Set<RenderRequest["format"]>(["png", "jpeg", "webp", "svg"]);

/** Checks a request body and returns it typed, or throws an error that names the bad field. */
export function parseRenderRequest(text: string): RenderRequest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new RangeError(`the request is not JSON: ${(err as Error).message}`);
  }
  const r = value as Partial<RenderRequest> | null;
  if (!r || typeof r !== "object") throw new RangeError("the request must be a JSON object");
  const f = r.figure as { data?: unknown; layout?: unknown } | undefined;
  if (!f || typeof f !== "object" || !Array.isArray(f.data)) throw new RangeError('"figure" must be a Plotly figure with a "data" array');
  if (!FORMATS.has(r.format as RenderRequest["format"]))
    throw new RangeError(`"format" must be one of ${[...FORMATS].join(", ")}, got ${JSON.stringify(r.format)}`);
  for (const key of ["width", "height"] as const) {
    const v = r[key];
    if (!(typeof v === "number" && Number.isInteger(v) && v > 0 && v <= 20_000))
      throw new RangeError(`"${key}" must be a whole number of pixels in 1..20000, got ${JSON.stringify(v)}`);
  }
  if (!(typeof r.scale === "number" && r.scale > 0 && r.scale <= 10))
    throw new RangeError(`"scale" must be in (0, 10], got ${JSON.stringify(r.scale)}`);
  return r as RenderRequest;
}

/** Starts a render service on 127.0.0.1 (a free port); see the file comment. */
export async function startRenderService(): Promise<RenderService> {
  const token = crypto.randomBytes(16).toString("hex");
  const route = `/${token}/render`;
  let renders = 0;
  const server = http.createServer((req, res) => {
    const answer = (status: number, text: string): void => {
      res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
      res.end(text);
    };
    if (req.url !== route) return answer(404, "not found");
    if (req.method !== "POST") return answer(405, "POST a render request");
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_REQUEST_BYTES) {
        answer(413, `the request is larger than ${MAX_REQUEST_BYTES} bytes`);
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => {
      if (res.writableEnded) return;
      let request: RenderRequest;
      try {
        request = parseRenderRequest(Buffer.concat(chunks).toString("utf8"));
      } catch (err) {
        return answer(400, (err as Error).message);
      }
      renders += 1;
      renderHere(request).then(
        (url) => answer(200, url),
        (err: Error) => answer(500, err.message),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  // Kernels keep no connection open between renders; the service must not keep its process alive on its own.
  server.unref();
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${route}`,
    get renders() {
      return renders;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
