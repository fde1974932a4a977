// User-embedding scatter plots coloured by a demographic attribute (gender, age bracket or occupation).
import type { Users } from "../../data/types";
import { categoryStyle, escapePlotlyText, themedLayout, defaultConfig, type CategoryStyle } from "../theme";
import { pointRows, roundValue, toXY } from "./inputs";
import { WEBGL_POINT_THRESHOLD } from "./movies";
import type { CommonFigureOptions, Coordinates2D, PlotlyFigure, PlotlyTrace } from "./types";

/** The demographic attributes a user scatter can be coloured by. */
export type UserAttribute = "gender" | "ageBracket" | "occupation";

/** Options for {@link userEmbeddingScatter}. */
export interface UserScatterOptions extends CommonFigureOptions {
  /** Point i is user `userIndex[i]` (dense user index); default: point i is user i. */
  userIndex?: ArrayLike<number>;
  /** Name of the projection for the axis titles (default "Dimension"). */
  projectionName?: string;
  /** Point count above which `scattergl` is used (default 5000). */
  webglThreshold?: number;
}

/** Viridis (colour-blind-safe, perceptually ordered), sampled for ordinal categories such as age brackets. */
const VIRIDIS: readonly string[] = ["#440154", "#482878", "#3E4A89", "#31688E", "#26828E", "#1F9E89", "#35B779", "#6DCD59", "#B4DE2C"];

function ordinalStyle(i: number, count: number): CategoryStyle {
  const t = count <= 1 ? 0 : i / (count - 1);
  return { color: VIRIDIS[Math.round(t * (VIRIDIS.length - 1))], symbol: "circle" };
}

const GENDER_LABEL: Readonly<Record<string, string>> = { F: "Female", M: "Male" };

const ATTRIBUTE_TITLE: Readonly<Record<UserAttribute, string>> = { gender: "Gender", ageBracket: "Age", occupation: "Occupation" };

/** The categories of `attribute` present among `rows`, in display order (F/M; age brackets by age; occupations A–Z). */
function orderedCategories(users: Users, attribute: UserAttribute, rows: Int32Array): string[] {
  const seen = new Map<string, number>();
  for (const r of rows) {
    const value = attribute === "gender" ? users.gender[r] : attribute === "ageBracket" ? users.ageBracket[r] : users.occupation[r];
    const key = String(value);
    const age = users.age[r];
    if (!seen.has(key) || age < seen.get(key)!) seen.set(key, age);
  }
  const keys = [...seen.keys()];
  if (attribute === "ageBracket") return keys.sort((a, b) => seen.get(a)! - seen.get(b)! || a.localeCompare(b));
  return keys.sort((a, b) => a.localeCompare(b));
}

/**
 * A 2-D scatter of user embeddings, one trace per category of `colorBy` (each with a toggling legend entry).
 * Gender and occupation use the categorical palette, age brackets an ordered (viridis) scale.
 * Hover shows user id, gender, age bracket and occupation, all escaped.
 */
export function userEmbeddingScatter(
  coordinates: Coordinates2D,
  users: Users,
  colorBy: UserAttribute,
  options: UserScatterOptions = {},
): PlotlyFigure {
  const who = "userEmbeddingScatter";
  if (colorBy !== "gender" && colorBy !== "ageBracket" && colorBy !== "occupation") {
    throw new RangeError(`${who}: colorBy must be "gender", "ageBracket" or "occupation", got ${String(colorBy)}`);
  }
  const xy = toXY(coordinates, who);
  const n = xy.length;
  const rows = pointRows(n, options.userIndex, users.ids.length, who);
  const categories = orderedCategories(users, colorBy, rows);
  const index = new Map(categories.map((c, i) => [c, i] as [string, number]));
  const members: number[][] = categories.map(() => []);
  for (let p = 0; p < n; p++) {
    const r = rows[p];
    const value = colorBy === "gender" ? users.gender[r] : colorBy === "ageBracket" ? users.ageBracket[r] : users.occupation[r];
    members[index.get(String(value))!].push(p);
  }
  const type = n > (options.webglThreshold ?? WEBGL_POINT_THRESHOLD) ? "scattergl" : "scatter";
  const size = n < 2000 ? 7 : n < 20000 ? 5 : 4;
  const traces: PlotlyTrace[] = categories.map((category, ci) => {
    const style = colorBy === "ageBracket" ? ordinalStyle(ci, categories.length) : categoryStyle(ci);
    const list = members[ci];
    const x = new Array<number | null>(list.length);
    const y = new Array<number | null>(list.length);
    const customdata = new Array<[string, string, string, string]>(list.length);
    for (let k = 0; k < list.length; k++) {
      const p = list[k];
      const r = rows[p];
      x[k] = roundValue(xy.x[p]);
      y[k] = roundValue(xy.y[p]);
      customdata[k] = [
        String(users.ids[r]),
        escapePlotlyText(GENDER_LABEL[users.gender[r]] ?? users.gender[r]),
        escapePlotlyText(users.ageBracket[r]),
        escapePlotlyText(users.occupation[r]),
      ];
    }
    const label = colorBy === "gender" ? (GENDER_LABEL[category] ?? category) : category;
    return {
      type,
      mode: "markers",
      name: escapePlotlyText(label),
      x,
      y,
      customdata,
      hovertemplate: "<b>User %{customdata[0]}</b><br>%{customdata[1]}, %{customdata[2]}<br>%{customdata[3]}<extra></extra>",
      marker: { color: style.color, symbol: style.symbol, size, opacity: n < 2000 ? 0.85 : 0.65 },
    };
  });
  const projection = options.projectionName ?? "Dimension";
  return {
    data: traces,
    layout: themedLayout(
      { title: options.title, xTitle: `${projection} 1`, yTitle: `${projection} 2`, width: options.width, height: options.height },
      { legend: { title: { text: ATTRIBUTE_TITLE[colorBy] }, itemsizing: "constant" } },
    ),
    config: defaultConfig(),
  };
}
