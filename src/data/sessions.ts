// Rating sessions: each rating's (user, calendar day) pair as a dense id, the context of a session bias in stage 2 (timeSVD's b_{u,t}).
import type { Dataset } from "./types";

/** A dense session id per rating: ratings by the same user in the same time bucket share one id. */
export interface RatingSessions {
  /** Session id of every rating of the dataset, in `0..count-1` (ids in order of first appearance). */
  readonly session: Int32Array;
  /** Number of distinct sessions. */
  readonly count: number;
  /** User of each session. */
  readonly user: Int32Array;
  /** Length of a time bucket in seconds (86,400: a UTC calendar day). */
  readonly bucketSeconds: number;
}

const computed = new WeakMap<Dataset, Map<number, RatingSessions>>();

/**
 * Groups every rating of the dataset into sessions of one user and one time bucket (a UTC day by default). The ids
 * cover all ratings (training and held-out alike): a model learns a bias only for sessions with training ratings, and
 * a session seen only at test time keeps a zero bias, which is the model without that term. Computed once per dataset
 * and bucket length; the arrays are shared, so do not modify them.
 */
export function ratingSessions(ds: Dataset, o: { bucketSeconds?: number } = {}): RatingSessions {
  const bucketSeconds = o.bucketSeconds ?? 86_400;
  if (!(bucketSeconds > 0) || !Number.isFinite(bucketSeconds)) {
    throw new RangeError(`ratingSessions: bucketSeconds must be a positive number of seconds, got ${bucketSeconds}`);
  }
  let byBucket = computed.get(ds);
  if (!byBucket) computed.set(ds, (byBucket = new Map()));
  let sessions = byBucket.get(bucketSeconds);
  if (!sessions) byBucket.set(bucketSeconds, (sessions = groupSessions(ds, bucketSeconds)));
  return sessions;
}

function groupSessions(ds: Dataset, bucketSeconds: number): RatingSessions {
  const r = ds.ratings;
  const session = new Int32Array(r.length);
  const ids = new Map<number, number>();
  const users: number[] = [];
  for (let i = 0; i < r.length; i++) {
    // user < 2^31 and bucket < 2^22 for any Unix time in seconds, so the key is an exact integer below 2^53.
    const key = r.user[i] * 4_194_304 + Math.floor(r.timestamp[i] / bucketSeconds);
    let id = ids.get(key);
    if (id === undefined) {
      id = users.length;
      ids.set(key, id);
      users.push(r.user[i]);
    }
    session[i] = id;
  }
  return { session, count: users.length, user: Int32Array.from(users), bucketSeconds };
}
