// Line charts as plain SVG for the benches' docs (no dependency): categorical x positions (clients,
// key counts), a y axis from 0 to a round maximum, one polyline per series with a legend.

export interface Series {
  readonly name: string;
  readonly values: readonly (number | null)[];
  /** CSS colour; default: by position. */
  readonly color?: string;
  readonly dashed?: boolean;
}

export interface LineChart {
  readonly title: string;
  readonly xLabels: readonly string[];
  readonly xTitle: string;
  readonly series: readonly Series[];
}

const COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd"];
export const PANEL_WIDTH = 640;
export const PANEL_HEIGHT = 400;

/** 1, 2 or 5 times a power of ten, at least `v`. */
function roundUp(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** One chart as an SVG group at (x0, y0), PANEL_WIDTH × PANEL_HEIGHT; a missing value breaks the line. */
export function lineChartPanel(c: LineChart, x0 = 0, y0 = 0): string {
  const w = PANEL_WIDTH;
  const h = PANEL_HEIGHT;
  const pad = { l: 70, r: 20, t: 40, b: 50 };
  const maxY = Math.max(1, ...c.series.flatMap((s) => s.values.map((v) => v ?? 0)));
  const yTop = roundUp(maxY);
  const n = c.xLabels.length;
  const x = (i: number): number => pad.l + (i * (w - pad.l - pad.r)) / Math.max(1, n - 1);
  const y = (v: number): number => h - pad.b - (v / yTop) * (h - pad.t - pad.b);
  const parts: string[] = [`<g transform="translate(${x0},${y0})">`];
  parts.push(`<text x="${w / 2}" y="22" text-anchor="middle" font-size="14">${xmlText(c.title)}</text>`);
  for (let t = 0; t <= 5; t++) {
    const v = (yTop * t) / 5;
    parts.push(`<line x1="${pad.l}" x2="${w - pad.r}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="${pad.l - 8}" y="${y(v) + 4}" text-anchor="end">${Math.round(v)}</text>`);
  }
  c.xLabels.forEach((label, i) => {
    parts.push(`<text x="${x(i)}" y="${h - pad.b + 20}" text-anchor="middle">${xmlText(label)}</text>`);
  });
  parts.push(`<text x="${w / 2}" y="${h - 10}" text-anchor="middle">${xmlText(c.xTitle)}</text>`);
  c.series.forEach((s, si) => {
    const color = s.color ?? COLORS[si % COLORS.length];
    const dash = s.dashed ? ` stroke-dasharray="6 4"` : "";
    let run: string[] = [];
    const flush = (): void => {
      if (run.length > 1)
        parts.push(
          `<polyline points="${run.join(" ")}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`,
        );
      run = [];
    };
    s.values.forEach((v, i) => {
      if (v === null) {
        flush();
        return;
      }
      run.push(`${x(i)},${y(v)}`);
      parts.push(`<circle cx="${x(i)}" cy="${y(v)}" r="3" fill="${color}"/>`);
    });
    flush();
    parts.push(
      `<text x="${pad.l + 10}" y="${pad.t + 16 * (si + 1)}" fill="${color}">${xmlText(s.name)}</text>`,
    );
  });
  parts.push("</g>");
  return parts.join("\n");
}

/** Charts side by side in one SVG document. */
export function chartsSvg(charts: readonly LineChart[]): string {
  const w = PANEL_WIDTH * charts.length;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${PANEL_HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<title>${xmlText(charts.map((c) => c.title).join("; "))}</title>`,
    `<rect width="${w}" height="${PANEL_HEIGHT}" fill="white"/>`,
    ...charts.map((c, i) => lineChartPanel(c, i * PANEL_WIDTH, 0)),
    "</svg>",
  ];
  return `${parts.join("\n")}\n`;
}

function xmlText(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
