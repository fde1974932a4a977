// Notebook parameters: the defaults written in a notebook's first cell, overridden by `npm run reproduce -- --epochs 10` through an environment variable.

/** The environment variable that carries parameter overrides as JSON, e.g. {"dataset":"ml-100k","epochs":10}. */
export const PARAMS_ENV = "MOVIELENS_LAB_PARAMS";

type Scalar = string | number | boolean;

/**
 * Returns `defaults` with any overrides from MOVIELENS_LAB_PARAMS applied. Only keys present in `defaults` are taken;
 * each override must have the default's type (numbers given as strings are converted). Prints what changed.
 */
export function labParams<T extends Record<string, Scalar>>(defaults: T, env: NodeJS.ProcessEnv = process.env): T {
  const raw = env[PARAMS_ENV];
  if (!raw) return { ...defaults };
  let overrides: Record<string, unknown>;
  try {
    overrides = JSON.parse(raw) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${PARAMS_ENV} is not valid JSON: ${(err as Error).message}`);
  }
  const out: Record<string, Scalar> = { ...defaults };
  const changed: string[] = [];
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in defaults)) continue;
    const want = typeof defaults[key];
    let v: unknown = value;
    if (want === "number" && typeof v === "string") v = Number(v);
    if (want === "boolean" && typeof v === "string") v = v === "true" ? true : v === "false" ? false : v;
    if (typeof v !== want || (want === "number" && !Number.isFinite(v as number))) {
      throw new Error(`parameter "${key}" must be a ${want} (default ${JSON.stringify(defaults[key])}), got ${JSON.stringify(value)}`);
    }
    if (out[key] !== v) changed.push(`${key}=${JSON.stringify(v)}`);
    out[key] = v as Scalar;
  }
  if (changed.length) console.log(`parameters overridden by ${PARAMS_ENV}: ${changed.join(", ")}`);
  return out as T;
}
