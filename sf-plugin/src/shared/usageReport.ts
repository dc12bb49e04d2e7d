/**
 * API usage charts as inline SVG, rendered on the server: calls per user, per object and per hour,
 * with failed calls (HTTP status ≥ 400) drawn as a red segment of each bar. Every chart is an
 * `<svg role="img">` with a title and a text summary, followed by its data as a table (inside
 * `<details>`) for screen readers and copying. No script, no external resources, so the same code
 * renders the self-contained report of `sf mcp logs --report` (`renderApiUsageReport`) and the local
 * org's Setup API Logs page (which imports this file). It depends on nothing, so the compiled plugin
 * and the local org (run through tsx) can both load it.
 *
 * Rows are keyed by the ApiTotalUsage CSV's column names (`USER_NAME`, `ENTITY_NAME`,
 * `STATUS_CODE`, `TIMESTAMP_DERIVED`…), i.e. what an EventLogFile's LogFile parses to.
 */
/** HTML-escapes text for element content and attribute values. */
function esc(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}


export type ApiUsageRow = Partial<Record<string, string>>;

export interface Bucket {
  label: string;
  total: number;
  errors: number;
}

export function isError(row: ApiUsageRow): boolean {
  return Number(row.STATUS_CODE ?? 0) >= 400;
}

/** ISO timestamp of a row: TIMESTAMP_DERIVED, else the compact TIMESTAMP (yyyyMMddHHmmss.SSS). */
export function rowTime(row: ApiUsageRow): string {
  if (row.TIMESTAMP_DERIVED) return row.TIMESTAMP_DERIVED;
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d+)?$/.exec(row.TIMESTAMP ?? '');
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ''}Z` : '';
}

export function bucketBy(rows: ApiUsageRow[], key: (r: ApiUsageRow) => string): Bucket[] {
  const map = new Map<string, Bucket>();
  for (const r of rows) {
    const label = key(r);
    let b = map.get(label);
    if (!b) map.set(label, (b = { label, total: 0, errors: 0 }));
    b.total++;
    if (isError(r)) b.errors++;
  }
  return [...map.values()];
}

let chartSeq = 0;

function dataTable(caption: string, buckets: Bucket[], labelHeader: string): string {
  const rows = buckets
    .map((b) => `<tr${b.errors ? ' class="error"' : ''}><th scope="row">${esc(b.label)}</th><td>${b.total}</td><td>${b.errors}</td></tr>`)
    .join('');
  return `<details><summary>Data for ${esc(caption)}</summary><table><thead><tr><th scope="col">${esc(labelHeader)}</th><th scope="col">Calls</th><th scope="col">Errors</th></tr></thead><tbody>${rows}</tbody></table></details>`;
}

function summary(title: string, buckets: Bucket[]): string {
  const total = buckets.reduce((n, b) => n + b.total, 0);
  const errors = buckets.reduce((n, b) => n + b.errors, 0);
  const top = [...buckets].sort((a, b) => b.total - a.total)[0];
  return `${title}: ${total} calls, ${errors} errors, across ${buckets.length} ${buckets.length === 1 ? 'group' : 'groups'}${top ? `; most calls: ${top.label} (${top.total})` : ''}.`;
}

/** Horizontal bars (one per label, largest first, at most `limit`). */
export function horizontalBarChart(title: string, buckets: Bucket[], labelHeader: string, limit = 15): string {
  const id = `chart-${++chartSeq}`;
  const data = [...buckets].sort((a, b) => b.total - a.total || a.label.localeCompare(b.label)).slice(0, limit);
  const max = Math.max(1, ...data.map((b) => b.total));
  const labelW = 190;
  const barW = 260;
  const rowH = 24;
  const height = Math.max(1, data.length) * rowH + 30;
  const width = labelW + barW + 60;
  const bars = data
    .map((b, i) => {
      const y = 8 + i * rowH;
      const w = (b.total / max) * barW;
      const ew = (b.errors / max) * barW;
      const label = b.label.length > 28 ? `${b.label.slice(0, 27)}…` : b.label;
      return `<g><text x="${labelW - 6}" y="${y + 15}" text-anchor="end" font-size="12" fill="#181818">${esc(label || '(none)')}</text>` +
        `<rect x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="16" fill="#0176d3"><title>${esc(b.label || '(none)')}: ${b.total} calls, ${b.errors} errors</title></rect>` +
        (b.errors ? `<rect x="${(labelW + w - ew).toFixed(1)}" y="${y + 3}" width="${ew.toFixed(1)}" height="16" fill="#ba0517" class="error-bar"/>` : '') +
        `<text x="${(labelW + w + 4).toFixed(1)}" y="${y + 15}" font-size="12" fill="#181818">${b.total}${b.errors ? ` (${b.errors} err)` : ''}</text></g>`;
    })
    .join('');
  const empty = data.length ? '' : `<text x="10" y="20" font-size="12" fill="#444">No calls</text>`;
  return `<figure class="chart" aria-labelledby="${id}-caption"><figcaption id="${id}-caption"><strong>${esc(title)}</strong></figcaption>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}-title" aria-describedby="${id}-desc"><title id="${id}-title">${esc(title)}</title><desc id="${id}-desc">${esc(summary(title, buckets))}</desc>${bars}${empty}${legend(8, height - 14)}</svg>
${dataTable(title, data, labelHeader)}</figure>`;
}

function legend(x: number, y: number): string {
  return `<g font-size="11" fill="#444"><rect x="${x}" y="${y - 9}" width="10" height="10" fill="#0176d3"/><text x="${x + 14}" y="${y}">calls</text><rect x="${x + 54}" y="${y - 9}" width="10" height="10" fill="#ba0517"/><text x="${x + 68}" y="${y}">errors (HTTP ≥ 400)</text></g>`;
}

/** Vertical bars per UTC hour, from the first to the last hour with calls (at most 168 hours). */
export function hourlyChart(title: string, rows: ApiUsageRow[]): string {
  const id = `chart-${++chartSeq}`;
  const byHour = bucketBy(rows, (r) => rowTime(r).slice(0, 13));
  const known = byHour.filter((b) => /^\d{4}-\d{2}-\d{2}T\d{2}$/.test(b.label)).sort((a, b) => a.label.localeCompare(b.label));
  const buckets: Bucket[] = [];
  if (known.length) {
    const first = Date.parse(`${known[0]!.label}:00:00Z`);
    const last = Date.parse(`${known[known.length - 1]!.label}:00:00Z`);
    const start = Math.max(first, last - 167 * 3_600_000);
    const index = new Map(known.map((b) => [b.label, b]));
    for (let t = start; t <= last; t += 3_600_000) {
      const label = new Date(t).toISOString().slice(0, 13);
      buckets.push(index.get(label) ?? { label, total: 0, errors: 0 });
    }
  }
  const display = buckets.map((b) => ({ ...b, label: `${b.label.replace('T', ' ')}:00 UTC` }));
  const max = Math.max(1, ...buckets.map((b) => b.total));
  const plotH = 160;
  const slot = Math.max(6, Math.min(40, Math.floor(480 / Math.max(1, buckets.length))));
  const width = Math.max(300, 50 + buckets.length * slot + 10);
  const height = plotH + 60;
  const bars = display
    .map((b, i) => {
      const x = 50 + i * slot;
      const h = (b.total / max) * plotH;
      const eh = (b.errors / max) * plotH;
      const bw = Math.max(3, slot - 3);
      const tick = i === 0 || i === display.length - 1 || i % Math.ceil(display.length / 6) === 0;
      return `<g><rect x="${x}" y="${(10 + plotH - h).toFixed(1)}" width="${bw}" height="${h.toFixed(1)}" fill="#0176d3"><title>${esc(b.label)}: ${b.total} calls, ${b.errors} errors</title></rect>` +
        (b.errors ? `<rect x="${x}" y="${(10 + plotH - eh).toFixed(1)}" width="${bw}" height="${eh.toFixed(1)}" fill="#ba0517" class="error-bar"/>` : '') +
        (tick ? `<text x="${x}" y="${plotH + 26}" font-size="10" fill="#444">${esc(b.label.slice(5, 13))}h</text>` : '') +
        '</g>';
    })
    .join('');
  const axis = `<line x1="48" y1="${10 + plotH}" x2="${width - 5}" y2="${10 + plotH}" stroke="#c9c9c9"/><text x="44" y="18" font-size="10" text-anchor="end" fill="#444">${max}</text><text x="44" y="${10 + plotH}" font-size="10" text-anchor="end" fill="#444">0</text>`;
  const empty = buckets.length ? '' : `<text x="60" y="60" font-size="12" fill="#444">No calls</text>`;
  return `<figure class="chart" aria-labelledby="${id}-caption"><figcaption id="${id}-caption"><strong>${esc(title)}</strong></figcaption>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}-title" aria-describedby="${id}-desc"><title id="${id}-title">${esc(title)}</title><desc id="${id}-desc">${esc(summary(title, display))}</desc>${axis}${bars}${empty}${legend(50, height - 8)}</svg>
${dataTable(title, display.filter((b) => b.total > 0), 'Hour (UTC)')}</figure>`;
}

/** The three charts, as HTML (used by the Setup page and the report). */
export function usageCharts(rows: ApiUsageRow[]): string {
  return `<div class="charts">
${horizontalBarChart('Calls per user', bucketBy(rows, (r) => r.USER_NAME ?? ''), 'User')}
${horizontalBarChart('Calls per object', bucketBy(rows, (r) => r.ENTITY_NAME || '(no object)'), 'Object')}
${hourlyChart('Calls per hour', rows)}
</div>`;
}

const REPORT_STYLE = `body{margin:0;padding:20px;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#181818;background:#f3f3f3}
main{max-width:1200px;margin:0 auto}h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:24px}
table{border-collapse:collapse;width:100%;background:#fff}th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;font-size:.9rem}th{background:#fafaf9}
tr.error td{background:#fef1ee}.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:16px}
figure{background:#fff;border:1px solid #ddd;border-radius:6px;padding:12px;margin:0}.chart svg{width:100%;height:auto}
.stats{display:flex;gap:24px;flex-wrap:wrap}.stats div{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px 16px}.err{color:#ba0517;font-weight:600}
summary:focus{outline:3px solid #1b96ff}`;

/**
 * A self-contained HTML report of ApiTotalUsage rows (CSV-keyed): totals, the three charts and the
 * failed calls. No script and no external resources; safe to open from disk or attach to a ticket.
 */
export function renderApiUsageReport(rows: ApiUsageRow[], options: { title?: string; generatedAt?: Date } = {}): string {
  const title = options.title ?? 'API usage report';
  const errors = rows.filter(isError);
  const times = rows.map(rowTime).filter(Boolean).sort();
  const span = times.length ? `${times[0]} – ${times[times.length - 1]}` : 'no events';
  const users = new Set(rows.map((r) => r.USER_NAME ?? '')).size;
  const errorRows = errors
    .slice(0, 500)
    .map(
      (r) =>
        `<tr class="error"><td>${esc(rowTime(r))}</td><td>${esc(r.USER_NAME ?? '')}</td><td>${esc(r.CONNECTED_APP_NAME ?? '')}</td><td>${esc(r.API_CLIENT_CATEGORY ?? '')}</td><td>${esc(r.HTTP_METHOD ?? '')} ${esc(r.API_RESOURCE ?? '')}</td><td>${esc(r.ENTITY_NAME ?? '')}</td><td>${esc(r.STATUS_CODE ?? '')}</td></tr>`,
    )
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${REPORT_STYLE}</style>
</head>
<body>
<main>
<h1>${esc(title)}</h1>
<p>ApiTotalUsage events ${esc(span)}. Generated ${esc((options.generatedAt ?? new Date()).toISOString())}.</p>
<div class="stats"><div><strong>${rows.length}</strong> calls</div><div><strong>${users}</strong> users</div><div class="${errors.length ? 'err' : ''}"><strong>${errors.length}</strong> errors</div></div>
<h2>Charts</h2>
${usageCharts(rows)}
<h2>Failed calls</h2>
${errors.length ? `<table><thead><tr><th scope="col">Time (UTC)</th><th scope="col">User</th><th scope="col">App</th><th scope="col">Client category</th><th scope="col">Request</th><th scope="col">Object</th><th scope="col">Status</th></tr></thead><tbody>
${errorRows}
</tbody></table>${errors.length > 500 ? `<p>First 500 of ${errors.length} failed calls.</p>` : ''}` : '<p>No failed calls.</p>'}
</main>
</body>
</html>
`;
}
