// Charts that scale: one small facet per issue (positions with red-line ranges, and the
// veto players' win-sets with the zone of agreement), for the issues and actors the
// analyst picks. Drawn here from the scenario and the analysis JSON, so a 40 x 15
// scenario shows a few readable facets instead of one chart stacking everything.
"use strict";

import { $, esc, num, state } from "./core.js";

export const chartView = { issues: null, actors: null, veto: [] };
const MAX_ISSUES = 6, MAX_ACTORS = 16;

const short = (s, n = 26) => { s = String(s); return s.length > n ? s.slice(0, n - 1) + "…" : s; };
const label = (a) => esc(short(a.name));

function defaults() {
  const d = state.data;
  if (!chartView.issues) chartView.issues = new Set(d.issues.slice(0, MAX_ISSUES).map((i) => i.id));
  if (!chartView.actors) {
    const veto = d.actors.filter((a) => chartView.veto.includes(a.id));
    const pick = d.actors.length <= MAX_ACTORS || !veto.length ? d.actors.slice(0, MAX_ACTORS) : veto;
    chartView.actors = new Set(pick.map((a) => a.id));
  }
}

export function resetView() { chartView.issues = null; chartView.actors = null; }

function checkboxes(box, items, chosen, onChange, extra) {
  box.replaceChildren();
  const buttons = document.createElement("span");
  for (const [text, fn] of [["all", () => items.map((x) => x.id)], ["none", () => []], ...extra]) {
    const b = document.createElement("button");
    b.type = "button"; b.textContent = text;
    b.addEventListener("click", () => onChange(new Set(fn())));
    buttons.append(b);
  }
  box.append(buttons);
  for (const it of items) {
    const l = document.createElement("label");
    const c = document.createElement("input");
    c.type = "checkbox"; c.checked = chosen.has(it.id); c.dataset.id = it.id;
    c.addEventListener("change", () => {
      const next = new Set(chosen);
      if (c.checked) next.add(it.id); else next.delete(it.id);
      onChange(next);
    });
    l.append(c, " " + it.name);
    box.append(l);
  }
}

export function renderPickers() {
  defaults();
  const d = state.data;
  $("issue-pick").querySelector("summary").textContent = `Issues shown (${chartView.issues.size} of ${d.issues.length})`;
  $("actor-pick").querySelector("summary").textContent = `Actors shown (${chartView.actors.size} of ${d.actors.length})`;
  checkboxes($("issue-picks"), d.issues, chartView.issues, (s) => { chartView.issues = s; redraw(); }, []);
  checkboxes($("actor-picks"), d.actors, chartView.actors, (s) => { chartView.actors = s; redraw(); },
    [["veto players", () => chartView.veto]]);
}

let last = null;
function redraw() { renderPickers(); renderCharts(last); }

function layout(title, n, scale) {
  return {
    title: { text: title, font: { size: 13 }, x: 0.01, xanchor: "left" },
    height: 56 + 19 * Math.max(n, 1), margin: { l: 8, r: 12, t: 26, b: 24 },
    xaxis: { range: [scale.min ?? 0, scale.max ?? 100], zeroline: false, fixedrange: true },
    yaxis: { type: "category", automargin: true, autorange: "reversed", fixedrange: true },
    showlegend: false, font: { size: 11 }, bargap: 0.35, shapes: [],
  };
}

function plot(div, traces, lay) {
  Plotly.react(div, traces, lay, { displayModeBar: false, responsive: true });
}

function positionsFacet(div, iss, actors) {
  const scale = iss.scale || {};
  const lo = scale.min ?? 0, hi = scale.max ?? 100;
  const rows = actors.filter((a) => (a.positions || {})[iss.id]);
  const val = (q) => (q === null || q === undefined ? null : (typeof q === "object" ? q.value : q));
  const ys = rows.map(label);
  const ranges = rows.map((a) => {
    const st = a.positions[iss.id], p = val(st.position), l = val(st.limit);
    if (typeof p !== "number" || typeof l !== "number") return null;
    const w = Math.abs(l - p);
    return [Math.max(lo, p - w), Math.min(hi, p + w)];
  });
  const traces = [
    { type: "bar", orientation: "h", y: ys, base: ranges.map((r) => (r ? r[0] : null)), x: ranges.map((r) => (r ? r[1] - r[0] : null)),
      marker: { color: "rgba(37,99,235,0.22)" }, hoverinfo: "text",
      hovertext: rows.map((a, i) => (ranges[i] ? `${label(a)} accepts ${num(ranges[i][0])}–${num(ranges[i][1])}` : `${label(a)}: no red line`)) },
    { type: "scatter", mode: "markers", y: ys, x: rows.map((a) => val(a.positions[iss.id].position)), hoverinfo: "text",
      marker: { size: rows.map((a) => 6 + (Number(val(a.positions[iss.id].salience)) || 50) / 14),
        color: rows.map((a) => (chartView.veto.includes(a.id) ? "#b00020" : "#374151")) },
      hovertext: rows.map((a) => { const st = a.positions[iss.id]; return `${label(a)}: position ${num(val(st.position))}, salience ${num(val(st.salience) ?? 50)}`; }) },
  ];
  const lay = layout(`${esc(short(iss.name, 48))}: positions`, rows.length, scale);
  const sq = val(iss.status_quo);
  if (typeof sq === "number") lay.shapes.push({ type: "line", x0: sq, x1: sq, yref: "paper", y0: 0, y1: 1, line: { dash: "dash", color: "#6b7280" } });
  plot(div, traces, lay);
}

function winsetFacet(div, iss, actors, analysis) {
  const z = analysis?.zopa?.[iss.id];
  if (!z || typeof z !== "object" || !z.acceptable || typeof z.acceptable !== "object") { Plotly.purge(div); div.replaceChildren(); return; }
  const byId = Object.fromEntries(state.data.actors.map((a) => [a.id, a]));
  const ids = Object.keys(z.acceptable).filter((id) => !byId[id] || chartView.actors.has(id));
  const ys = ids.map((id) => (byId[id] ? label(byId[id]) : esc(id)));
  const iv = ids.map((id) => z.acceptable[id]).map((v) => (Array.isArray(v) ? v : [null, null]));
  const traces = [{ type: "bar", orientation: "h", y: ys, base: iv.map((v) => v[0]), x: iv.map((v) => (v[1] ?? 0) - (v[0] ?? 0)),
    marker: { color: "rgba(107,114,128,0.45)" }, hoverinfo: "text", hovertext: ys.map((y, i) => `${y} accepts ${num(iv[i][0])}–${num(iv[i][1])}`) }];
  const empty = z.empty || z.low === null || z.low === undefined;
  const title = `${esc(short(iss.name, 40))}: ` + (empty ? "ZOPA empty" : `ZOPA ${num(z.low)}–${num(z.high)}`);
  const lay = layout(title, ids.length, iss.scale || {});
  lay.title.font.color = empty ? "#b00020" : "#1a7f1a";
  if (!empty) lay.shapes.push({ type: "rect", x0: z.low, x1: Math.max(z.high, z.low + 1e-6), yref: "paper", y0: 0, y1: 1,
    fillcolor: "#2ca02c", opacity: 0.25, line: { width: 0 } });
  const point = analysis?.package?.point?.[iss.id];
  if (typeof point === "number") traces.push({ type: "scatter", mode: "markers", x: ys.map(() => point), y: ys, hoverinfo: "text",
    hovertext: `package point ${num(point)}`, marker: { symbol: "diamond", size: 10, color: "black" } });
  plot(div, traces, lay);
}

// analysis: the analysis JSON (may be null: positions only)
export function renderCharts(analysis) {
  last = analysis;
  if (!state.data) return;
  defaults();
  const box = $("facets");
  const issues = state.data.issues.filter((i) => chartView.issues.has(i.id));
  const actors = state.data.actors.filter((a) => chartView.actors.has(a.id));
  const keep = new Set(issues.map((i) => i.id));
  for (const f of [...box.children]) if (!keep.has(f.dataset.issue)) { f.querySelectorAll(".js-plotly-plot").forEach((p) => Plotly.purge(p)); f.remove(); }
  issues.forEach((iss, n) => {
    let f = [...box.children].find((c) => c.dataset.issue === iss.id);
    if (!f) {
      f = document.createElement("div");
      f.className = "facet"; f.dataset.issue = iss.id;
      f.innerHTML = '<div class="fp"></div><div class="fw"></div>';
    }
    if (box.children[n] !== f) box.insertBefore(f, box.children[n] || null);
    positionsFacet(f.querySelector(".fp"), iss, actors);
    winsetFacet(f.querySelector(".fw"), iss, actors, analysis);
  });
  if (!issues.length) box.innerHTML = '<p class="na">No issue chosen: pick some under "Issues shown".</p>';
}
