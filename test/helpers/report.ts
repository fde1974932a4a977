// Static checks of a notebook report's HTML: how many live Plotly figures it has, how often plotly.js is inlined, which scripts it loads.

/** What a report page holds, read from its markup alone (no browser). */
export interface ReportFacts {
  /** Plotly outputs the page will draw live (each with its figure JSON in an inert `application/json` script). */
  readonly liveFigures: number;
  /** Static PNG fallbacks among them. */
  readonly staticImages: number;
  /** Inlined copies of plotly.js (its licence header "plotly.js vX.Y.Z"). */
  readonly plotlyBundles: number;
  /** Every `<script src>` value. */
  readonly scriptSources: readonly string[];
  /** `<script` opening tags and `</script` closing tags: equal unless data broke out of a script element. */
  readonly scriptOpenings: number;
  readonly scriptClosings: number;
}

/** Reads {@link ReportFacts} from the HTML of a report page. */
export function reportFacts(html: string): ReportFacts {
  const count = (re: RegExp): number => (html.match(re) ?? []).length;
  return {
    liveFigures: count(/<script\b[^>]*class="lab-plotly-data"[^>]*>/g),
    staticImages: count(/<img\b[^>]*class="lab-plotly-static"/g),
    plotlyBundles: count(/plotly\.js v\d+\.\d+\.\d+/g),
    scriptSources: [...html.matchAll(/<script\b[^>]*\bsrc\s*=\s*["']?([^"'\s>]+)/gi)].map((m) => m[1]),
    scriptOpenings: count(/<script\b/gi),
    scriptClosings: count(/<\/script/gi),
  };
}
