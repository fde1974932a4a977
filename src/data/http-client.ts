// One HTTP(S) GET for downloads, direct or through an HTTP proxy from HTTPS_PROXY / HTTP_PROXY / NO_PROXY (absolute-form or CONNECT + TLS).
import * as http from "http";
import * as https from "https";
import * as net from "net";
import * as tls from "tls";

/** The proxy configuration is unusable (a bad URL, or a scheme other than http://). Never worth retrying. */
export class ProxyConfigError extends Error {
  override name = "ProxyConfigError";
}

/** The proxy refused a CONNECT tunnel: `statusCode` is its answer (407 = credentials missing or wrong). */
export class ProxyTunnelError extends Error {
  override name = "ProxyTunnelError";
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

/** Environment variables as read here (process.env by default). */
export type ProxyEnv = Readonly<Record<string, string | undefined>>;

/** `name` in lowercase if set (even to ""), else in uppercase, as curl does; "" means none. */
function envVar(env: ProxyEnv, lower: string): { name: string; value: string } | null {
  const upper = lower.toUpperCase();
  const name = env[lower] !== undefined ? lower : env[upper] !== undefined ? upper : null;
  if (name === null) return null;
  const value = (env[name] ?? "").trim();
  return value === "" ? null : { name, value };
}

/** The default port of an http(s) URL when it names none. */
function portOf(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === "https:" ? 443 : 80;
}

/** A hostname without IPv6 brackets or a trailing dot, lowercased. */
function bareHost(host: string): string {
  let h = host.toLowerCase();
  if (h.startsWith("[") && h.endsWith("]")) h = h.slice(1, -1);
  if (h.endsWith(".")) h = h.slice(0, -1);
  return h;
}

/** The canonical text of an IP literal (IPv6 compressed as the URL parser writes it), or null when `h` is not one. */
function canonicalIp(h: string): string | null {
  const kind = net.isIP(h);
  if (kind === 4) return h;
  if (kind === 6) {
    try {
      return bareHost(new URL(`http://[${h}]/`).hostname);
    } catch {
      return h;
    }
  }
  return null;
}

/**
 * True when a NO_PROXY list says `hostname` (port `port`) is reached directly. Entries are separated by commas or
 * whitespace and compared case-insensitively: `*` matches everything; a domain (`example.com`, `.example.com` or
 * `*.example.com`) matches itself and its subdomains, at a label boundary only; an IP literal (`10.1.2.3`, `::1`,
 * `[::1]`) matches that address only, never as a suffix; any entry may end in `:port` (`[v6]:port` for IPv6) to match
 * only that port. CIDR ranges are not supported.
 */
export function matchesNoProxy(hostname: string, port: number, noProxy: string | null | undefined): boolean {
  if (!noProxy) return false;
  const host = bareHost(hostname);
  if (host === "") return false;
  const hostIp = canonicalIp(host);
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    if (entry === "*") return true;
    let name = entry;
    let entryPort: number | null = null;
    if (entry.startsWith("[")) {
      const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
      if (!m) continue;
      name = m[1];
      entryPort = m[2] !== undefined ? Number(m[2]) : null;
    } else if (net.isIPv6(entry)) {
      name = entry; // a bare IPv6 literal carries no port
    } else {
      const colon = entry.indexOf(":");
      if (colon >= 0) {
        const p = entry.slice(colon + 1);
        if (!/^\d+$/.test(p)) continue;
        name = entry.slice(0, colon);
        entryPort = Number(p);
      }
    }
    if (entryPort !== null && entryPort !== port) continue;
    const entryIp = canonicalIp(name);
    if (entryIp !== null || hostIp !== null) {
      if (entryIp !== null && entryIp === hostIp) return true;
      continue;
    }
    let domain = name.startsWith("*.") ? name.slice(2) : name.startsWith(".") ? name.slice(1) : name;
    if (domain.endsWith(".")) domain = domain.slice(0, -1);
    if (domain === "") continue;
    if (host === domain || host.endsWith(`.${domain}`)) return true;
  }
  return false;
}

/**
 * The proxy to reach `url` through, from the environment: `https_proxy`/`HTTPS_PROXY` for https: URLs,
 * `http_proxy`/`HTTP_PROXY` for http: URLs (lowercase wins when both are set, as in curl; an empty value means none),
 * unless `no_proxy`/`NO_PROXY` matches the host (see {@link matchesNoProxy}). A value without a scheme is taken as
 * http://; a URL without a port uses 80. Only http:// proxies are supported (the tunnel to the proxy itself is plain).
 * Throws {@link ProxyConfigError} for an unusable value.
 */
export function proxyForUrl(url: URL | string, env: ProxyEnv = process.env): URL | null {
  const target = typeof url === "string" ? new URL(url) : url;
  const varName = target.protocol === "https:" ? "https_proxy" : target.protocol === "http:" ? "http_proxy" : null;
  if (varName === null) return null;
  const setting = envVar(env, varName);
  if (setting === null) return null;
  const noProxy = envVar(env, "no_proxy");
  if (noProxy !== null && matchesNoProxy(target.hostname, portOf(target), noProxy.value)) return null;
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(setting.value) ? setting.value : `http://${setting.value}`;
  let proxy: URL;
  try {
    proxy = new URL(text);
  } catch {
    throw new ProxyConfigError(
      `${setting.name}: expected a proxy URL such as http://proxy.example.com:3128, found ${JSON.stringify(redactUserinfo(setting.value))}`,
    );
  }
  if (proxy.protocol !== "http:") {
    throw new ProxyConfigError(
      `${setting.name}: expected an http:// proxy, found ${describeProxy(proxy)} (${proxy.protocol}// proxies are not supported)`,
    );
  }
  if (proxy.hostname === "")
    throw new ProxyConfigError(`${setting.name}: expected a proxy host, found ${JSON.stringify(redactUserinfo(setting.value))}`);
  return proxy;
}

function redactUserinfo(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^@/]*@/i, (_m, scheme: string | undefined) => `${scheme ?? ""}***@`);
}

/** A proxy URL for logs and errors: scheme, host and port, never the user name or password. */
export function describeProxy(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}

/** `Proxy-Authorization` for a proxy URL carrying user:password, else null. */
function proxyAuthorization(proxy: URL): string | null {
  if (proxy.username === "" && proxy.password === "") return null;
  const user = decodeURIComponent(proxy.username);
  const pass = decodeURIComponent(proxy.password);
  return `Basic ${Buffer.from(`${user}:${pass}`, "utf8").toString("base64")}`;
}

/** An error with a Node-style `code`, for timeouts raised here. */
function timeoutError(message: string): Error {
  return Object.assign(new Error(message), { code: "ETIMEDOUT" });
}

/** Options of {@link openTunnel}. */
export interface TunnelOptions {
  /** Give up when the proxy does not answer within this many ms. */
  readonly timeoutMs: number;
}

/**
 * Opens a CONNECT tunnel through `proxy` to `host:port` and returns the raw socket once the proxy answered 2xx.
 * Sends Proxy-Authorization (Basic) when the proxy URL carries credentials. A non-2xx answer rejects with
 * {@link ProxyTunnelError}.
 */
export function openTunnel(proxy: URL, host: string, port: number, options: TunnelOptions): Promise<net.Socket> {
  const bare = bareHost(host);
  const authority = `${net.isIPv6(bare) ? `[${bare}]` : bare}:${port}`;
  const headers: Record<string, string> = { host: authority, "user-agent": "movielens-embedding-lab" };
  const auth = proxyAuthorization(proxy);
  if (auth !== null) headers["proxy-authorization"] = auth;
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: bareHost(proxy.hostname),
      port: portOf(proxy),
      method: "CONNECT",
      path: authority,
      headers,
      agent: false,
    });
    req.setTimeout(options.timeoutMs, () => req.destroy(timeoutError(`no answer to CONNECT ${authority} within ${options.timeoutMs} ms`)));
    req.once("connect", (res: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      req.setTimeout(0);
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        socket.destroy();
        const hint = status === 407 ? " (proxy authentication required: put user:password in the proxy URL)" : "";
        reject(new ProxyTunnelError(`the proxy ${describeProxy(proxy)} answered CONNECT ${authority} with HTTP ${status}${hint}`, status));
        return;
      }
      if (head.length > 0) socket.unshift(head);
      resolve(socket);
    });
    // A proxy answering CONNECT with an ordinary response (no tunnel) ends up here.
    req.once("response", (res: http.IncomingMessage) => {
      res.resume();
      const status = res.statusCode ?? 0;
      reject(new ProxyTunnelError(`the proxy ${describeProxy(proxy)} answered CONNECT ${authority} with HTTP ${status}`, status));
    });
    req.once("error", reject);
    req.end();
  });
}

/** Runs TLS over `socket` to `host` (SNI set for host names, not IP literals) and resolves once the handshake is done. */
function startTls(socket: net.Socket, host: string, ca: TlsCa | undefined, timeoutMs: number): Promise<tls.TLSSocket> {
  const bare = bareHost(host);
  return new Promise((resolve, reject) => {
    const secure = tls.connect({
      socket,
      servername: net.isIP(bare) ? undefined : bare,
      host: bare,
      ca: tlsCa(ca),
      ALPNProtocols: ["http/1.1"],
    });
    const timer = setTimeout(() => secure.destroy(timeoutError(`no TLS handshake with ${bare} within ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    secure.once("error", fail);
    secure.once("secureConnect", () => {
      clearTimeout(timer);
      secure.off("error", fail);
      resolve(secure);
    });
  });
}

/** Certificate authorities to trust for https: (PEM), as tls.connect's `ca` takes them. */
export type TlsCa = string | Buffer | ReadonlyArray<string | Buffer>;

/** A mutable copy of `ca` for tls.connect (written without type narrowing, which older @types/node, as tslab uses, lacks). */
function tlsCa(ca: TlsCa | undefined): string | Buffer | (string | Buffer)[] | undefined {
  if (ca === undefined) return undefined;
  if (typeof ca === "string") return ca;
  if (Array.isArray(ca)) return Array.from(ca as ReadonlyArray<string | Buffer>);
  return ca as Buffer;
}

/** Options of {@link requestOnce}. */
export interface RequestOnceOptions {
  /** The proxy to go through (see {@link proxyForUrl}), or null for a direct connection. */
  readonly proxy: URL | null;
  readonly headers: Readonly<Record<string, string>>;
  /** No response headers (or no tunnel) within this many ms fails the request. */
  readonly timeoutMs: number;
  /** Certificate authorities trusted for https: targets instead of Node's bundled ones. */
  readonly ca?: TlsCa;
}

/**
 * One GET of `url` (no redirect following): directly; through an HTTP proxy in absolute form for http: targets; through
 * a CONNECT tunnel with TLS on top for https: targets. Resolves with the response whatever its status; a body that
 * stalls for `timeoutMs` is destroyed with an ETIMEDOUT error.
 */
export async function requestOnce(url: URL, options: RequestOnceOptions): Promise<http.IncomingMessage> {
  const { proxy, timeoutMs } = options;
  const headers: Record<string, string> = { ...options.headers };
  // Through a proxy, credentials in the target URL travel as Authorization (as Node does for direct requests), never
  // in the request line.
  if (proxy !== null && (url.username !== "" || url.password !== "") && headers.authorization === undefined) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`, "utf8").toString("base64")}`;
  }
  let req: http.ClientRequest;
  if (proxy === null) {
    const mod = url.protocol === "https:" ? https : http;
    req = mod.request(url, {
      method: "GET",
      headers,
      ...(url.protocol === "https:" && options.ca !== undefined ? { ca: tlsCa(options.ca) } : {}),
    });
  } else if (url.protocol === "http:") {
    const auth = proxyAuthorization(proxy);
    if (auth !== null) headers["proxy-authorization"] = auth;
    headers.host = url.host;
    const path = `${url.protocol}//${url.host}${url.pathname}${url.search}`;
    req = http.request({ host: bareHost(proxy.hostname), port: portOf(proxy), method: "GET", path, headers });
  } else {
    const tunnel = await openTunnel(proxy, url.hostname, portOf(url), { timeoutMs });
    const secure = await startTls(tunnel, url.hostname, options.ca, timeoutMs);
    headers.host = url.host;
    // No agent: the request runs on this one tunnelled socket, which closes with the response.
    req = https.request({ method: "GET", path: `${url.pathname}${url.search}`, headers, createConnection: () => secure });
  }
  return new Promise((resolve, reject) => {
    const onTimeout = (): void => {
      req.destroy(timeoutError(`no response within ${timeoutMs} ms`));
    };
    req.setTimeout(timeoutMs, onTimeout);
    req.once("response", (res: http.IncomingMessage) => {
      req.off("timeout", onTimeout);
      // From here on the timeout is an idle timeout on the body.
      res.setTimeout(timeoutMs, () => res.destroy(timeoutError(`no data for ${timeoutMs} ms (a stalled connection)`)));
      resolve(res);
    });
    req.once("error", reject);
    req.end();
  });
}
