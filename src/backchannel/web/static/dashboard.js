// backchannel dashboard: scenario list, verdict and analysis panels, save/upload/export,
// forecasts and sweeps. The grid (grid.js), the schema form (editor.js) and the charts
// (charts.js) share the scenario and its undo history through core.js.
"use strict";

import { $, api, emit, esc, num, on, redo, resetHistory, serverError, state, undo } from "./core.js";
import { buildGrid, cellOfPath, refreshGrid, setView, sortActors, whenReady } from "./grid.js";
import { renderEditor, setSchema } from "./editor.js";
import { chartView, renderCharts, renderPickers, resetView } from "./charts.js";

const timing = { seq: 0, editAt: 0 };
let analyzeTimer = null, job = null;

function status(text) { $("status").textContent = text; }

// ---- scenario list -------------------------------------------------------------------------
async function refreshList() {
  const r = await api("GET", "/api/scenarios");
  if (!r.ok) return r;
  const item = (source, name, extra) => `<li><button type="button" data-source="${source}" data-name="${esc(name)}">${esc(name)}${extra}</button></li>`;
  $("embedded-list").innerHTML = r.embedded.map((n) => item("embedded", n, "")).join("");
  $("saved-list").innerHTML = r.saved.length
    ? r.saved.map((e) => item("saved", e.name, ` <span class="muted small">v${e.latest}</span>`)).join("")
    : '<li class="muted">none yet</li>';
  document.querySelectorAll(".list button").forEach((b) => b.addEventListener("click", () => loadScenario(b.dataset.source, b.dataset.name)));
  markActive();
  return r;
}

function markActive() {
  document.querySelectorAll(".list button").forEach((b) => {
    const on = b.dataset.source === state.source && b.dataset.name === state.name;
    b.classList.toggle("active", on);
    if (on) b.setAttribute("aria-current", "true"); else b.removeAttribute("aria-current");
  });
}

async function loadScenario(source, name, version) {
  let url = `/api/scenario?source=${encodeURIComponent(source)}&name=${encodeURIComponent(name)}`;
  if (version) url += `&version=${encodeURIComponent(version)}`;
  status(`loading ${name}…`);
  const r = await api("GET", url);
  if (!r.ok) { if (r.kind !== "offline") $("errors").textContent = r.errors.map((e) => e.text).join("\n"); status(`could not load ${name}`); return; }
  setScenario(r);
  const u = new URL(window.location);
  u.searchParams.set("source", source); u.searchParams.set("name", name);
  if (version) u.searchParams.set("version", version); else u.searchParams.delete("version");
  history.replaceState(null, "", u);
}

function renderHistory(items) {
  const box = $("history");
  box.replaceChildren();
  if (!items || !items.length) return;
  box.append("History: ");
  for (const h of items) {
    const b = document.createElement("button");
    b.type = "button"; b.className = "linkish"; b.textContent = `v${h.version}`; b.title = `saved ${h.saved_at}`;
    b.addEventListener("click", () => loadScenario("saved", state.name, h.version));
    box.append(b, " ");
  }
}

function setScenario(r) {
  if (job) cancelJob("previous run cancelled: another scenario was loaded");
  state.data = r.data; state.source = r.source; state.name = r.name; state.version = r.version ?? null;
  state.errors = []; state.cellErrors = {};
  resetHistory();
  resetView();
  $("scenario-name").textContent = r.data.name;
  $("scenario-source").textContent = `${r.source}: ${r.name}` + (r.version ? ` (version ${r.version})` : "");
  $("save-name").value = r.source === "saved" ? r.name : (r.name || "").replace(/\.ya?ml$/i, "");
  renderHistory(r.history);
  markActive();
  buildGrid();
  renderEditor();
  renderPickers();
  ["fig-rounds", "fig-dist", "fig-tornado"].forEach((id) => Plotly.purge($(id)));
  $("forecast-table").innerHTML = ""; $("sweep-summary").innerHTML = ""; $("job-error").textContent = "";
  analyze();
}

// ---- every change: grid, form, charts, verdict ---------------------------------------------
on("change", ({ steps, from, label }) => {
  timing.editAt = performance.now();
  whenReady(() => refreshGrid(steps));
  if (from !== "form") renderEditor();
  $("scenario-name").textContent = state.data.name;
  if (steps.some((s) => s.path.length <= 2 || ["name", "id"].includes(s.path[2]))) renderPickers();
  updateUndo();
  status(label || "");
  clearTimeout(analyzeTimer);
  analyzeTimer = setTimeout(analyze, 40);  // edits are commits, not keystrokes: a short coalescing delay
});
on("history", updateUndo);
on("online", () => { serverError(null); analyze(); });

function updateUndo() {
  const u = state.undo[state.undo.length - 1], r = state.redo[state.redo.length - 1];
  $("undo").disabled = !u; $("redo").disabled = !r;
  $("undo").title = u ? `Undo ${u.label} (Ctrl+Z)` : "Nothing to undo";
  $("redo").title = r ? `Redo ${r.label} (Ctrl+Y)` : "Nothing to redo";
}

function setErrors(errors) {
  state.errors = errors || [];
  state.cellErrors = {};
  const general = [];
  for (const e of state.errors) {
    const cell = cellOfPath(e.path);
    if (cell) state.cellErrors[cell] = (state.cellErrors[cell] ? state.cellErrors[cell] + "\n" : "") + e.text;
    general.push(e.text);
  }
  $("errors").textContent = general.join("\n");
  emit("errors");
}

function verdictState(cls, badge, sentence) {
  $("verdict-panel").className = "verdict " + cls;
  $("verdict-badge").textContent = badge;
  $("verdict").textContent = sentence || "";
}

async function analyze() {
  if (!state.data) return;
  const seq = ++timing.seq;
  status("analysing…");
  const r = await api("POST", "/api/analyze", { data: state.data });
  if (seq !== timing.seq) return;  // a newer edit is on its way
  if (r.kind === "offline") { verdictState("stale", "Server unreachable: the verdict below is from before your last edit"); status("offline"); return; }
  if (r.kind === "server") { serverError(r.errors); verdictState("stale", "The server failed on this request (see above); the verdict was not updated"); status(""); return; }
  serverError(null);
  if (!r.ok) {
    setErrors(r.errors);
    verdictState("", "Fix the marked input to see the verdict", "");
    $("reasons").innerHTML = "";
    status("invalid input");
    renderCharts(null);
    return;
  }
  state.veto = r.veto || [];
  setErrors([]);
  status("");
  renderAnalysis(r);
  document.body.dataset.verdictMs = String(Math.round(performance.now() - timing.editAt));
  document.body.dataset.analysed = String(seq);
  setTimeout(() => renderCharts(r.analysis), 0);  // the verdict first, the charts after
  requestTakes();
}

// ---- the analysis -----------------------------------------------------------------------------
const SHOWN = new Set(["deal_possible", "verdict", "reasons", "zopa", "blocking", "mediators", "escalation"]);

function table(head, rows) {
  return '<table class="plain"><thead><tr>' + head.map((h) => `<th>${esc(h)}</th>`).join("") + "</tr></thead><tbody>" +
    rows.map((r) => "<tr>" + r.map((c) => `<td>${esc(c)}</td>`).join("") + "</tr>").join("") + "</tbody></table>";
}

// any JSON, readable: for keys of the analysis this page does not know (yet)
function generic(v, depth = 0) {
  if (v === null || v === undefined) return "—";
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v === "number") return esc(num(v));
  if (typeof v !== "object") return esc(v);
  if (depth > 3) return `<code>${esc(JSON.stringify(v).slice(0, 300))}</code>`;
  if (Array.isArray(v)) {
    if (!v.length) return "none";
    if (v.every((x) => x === null || typeof x !== "object")) return v.slice(0, 50).map((x) => generic(x)).join(", ") + (v.length > 50 ? " …" : "");
    if (v.every((x) => x && typeof x === "object" && !Array.isArray(x))) {
      const keys = [...new Set(v.flatMap((x) => Object.keys(x)))].slice(0, 12);
      return '<div class="scroll"><table class="plain"><thead><tr>' + keys.map((k) => `<th>${esc(k)}</th>`).join("") + "</tr></thead><tbody>" +
        v.slice(0, 30).map((x) => "<tr>" + keys.map((k) => `<td>${generic(x[k], depth + 1)}</td>`).join("") + "</tr>").join("") + "</tbody></table></div>";
    }
    return "<ol>" + v.slice(0, 30).map((x) => `<li>${generic(x, depth + 1)}</li>`).join("") + "</ol>";
  }
  return "<dl>" + Object.entries(v).slice(0, 60).map(([k, x]) => `<dt><b>${esc(k.replace(/_/g, " "))}</b></dt><dd>${generic(x, depth + 1)}</dd>`).join("") + "</dl>";
}

function renderAnalysis(r) {
  const a = r.analysis, names = r.names || {}, inames = r.issue_names || {};
  state.names = names; state.issueNames = inames;
  chartView.veto = state.veto;
  if (a) {
    verdictState(a.deal_possible ? "deal" : "nodeal", a.deal_possible ? "A deal is possible" : "No deal is reachable", a.verdict);
    $("reasons").innerHTML = (a.reasons || []).map((x) => `<li>${esc(x)}</li>`).join("") +
      (a.warnings || []).map((x) => `<li class="muted">warning: ${esc(typeof x === "string" ? x : JSON.stringify(x))}</li>`).join("");
  } else {
    verdictState("", "Verdict not available", r.analysis_missing);
    $("reasons").innerHTML = "";
  }
  const hint = $("veto-hint");
  hint.hidden = !r.no_veto;
  hint.innerHTML = r.no_veto ? "<b>Nothing in this scenario holds a veto</b>, so there is no deal to analyse yet (imported files " +
    "are forecast-only). To ask whether a deal can happen: set <b>veto</b> to <i>yes</i> in the table for the actors whose " +
    "agreement a deal needs, and give them a <b>red line</b> on each issue and a <b>no-deal</b> value. Forecasts and sweeps " +
    "below work without it." : "";
  const extra = a ? Object.keys(a).filter((k) => !SHOWN.has(k) && a[k] !== null && a[k] !== undefined) : [];
  $("more-analysis").hidden = !extra.length;
  $("more-body").innerHTML = extra.map((k) => `<h4>${esc(k.replace(/_/g, " "))}</h4>${generic(a[k])}`).join("");

  const blocking = Array.isArray(a?.blocking) ? a.blocking : null;
  $("blocking").innerHTML = blocking ? (blocking.length ? table(["#", "Who", "Issue", "Kind", "Score", "Detail"], blocking.slice(0, 15).map((b, i) =>
    [i + 1, names[b.actor] || b.actor || "—", b.issue ? (inames[b.issue] || b.issue) : "—", b.kind, num(b.score), b.detail])) : "<p>Nothing blocks a deal.</p>")
    : `<p class="na">Not available: ${esc(r.analysis_missing || "no blocking ranking")}</p>`;

  if (a && Array.isArray(a.mediators)) {
    const e = a.escalation;
    $("mediators").innerHTML = (a.mediators.length ? table(["Mediator / third party", "Role", "Can open a ZOPA?", "Why"],
      a.mediators.map((m) => [m.name, m.role, m.can_open_zopa ? "yes" : "no", m.reason])) : "<p>No mediators or third parties.</p>") +
      (e && typeof e.p_without_channel === "number" ? `<p><span class="kpi"><b>${(100 * e.p_without_channel).toFixed(1)}%</b>risk of an armed clash within ${esc(num(e.horizon_months))} months without a channel</span>` +
        `<span class="kpi"><b>${(100 * e.p_with_channels).toFixed(1)}%</b>with the channels</span></p>` : "");
  } else $("mediators").innerHTML = `<p class="na">Not available: ${esc(r.analysis_missing || "no mediators")}</p>`;
  $("zopa-missing").hidden = !!a?.zopa;
  $("zopa-missing").textContent = a?.zopa ? "" : "Win-sets not available: " + (r.analysis_missing || "no ZOPA data");
}

// ---- what would it take: a slower optimisation, asked for after the verdict --------------
const takes = { busy: false, again: false };

async function requestTakes() {
  if (takes.busy) { takes.again = true; return; }
  takes.busy = true; takes.again = false;
  $("takes-status").textContent = "computing the cheapest concessions for the current input…";
  const r = await api("POST", "/api/what-it-takes", { data: state.data });
  takes.busy = false;
  if (takes.again) { requestTakes(); return; }
  $("takes-status").textContent = "";
  if (r.kind === "offline") return;
  if (!r.ok) { $("takes").innerHTML = `<p class="na">Not available: ${esc(r.errors.map((e) => e.text).join("; "))}</p>`; return; }
  const c = r.concessions, names = state.names || {}, inames = state.issueNames || {};
  $("takes").innerHTML = c ? (c.feasible_already ? "<p>A deal is already feasible.</p>"
    : `<p>Cheapest concessions that make a deal feasible (total cost ${esc(num(c.total_cost))}):</p>`) +
      table(["Who", "Issue", "Kind", "From", "To", "Cost", "Detail"], (c.concessions || []).map((x) =>
        [names[x.actor] || x.actor, x.issue ? (inames[x.issue] || x.issue) : "—", x.kind, num(x.from), num(x.to), num(x.cost), x.detail]))
    : `<p class="na">Not available: ${esc(r.concessions_missing)}</p>`;
}

// ---- jobs: forecast and sweep --------------------------------------------------------------
async function startJob(kind) {
  if (job) return;
  $("job-error").textContent = "";
  const body = { kind, data: state.data, seed: $("seed").value };
  if (kind === "sweep") body.draws = $("draws").value; else { body.model = $("model").value; body.rounds = $("rounds").value; }
  const r = await api("POST", "/api/jobs", body);
  if (!r.ok) { if (r.kind !== "offline") $("job-error").textContent = r.errors.map((e) => e.text).join("\n"); return; }
  job = r.job;
  $("cancel-job").disabled = false; $("run-forecast").disabled = true; $("run-sweep").disabled = true;
  poll();
}

async function poll() {
  const mine = job;
  if (!mine) return;
  const r = await api("GET", `/api/jobs/${mine.id}`);
  if (job !== mine) return;  // cancelled or replaced meanwhile
  if (r.kind === "offline") { setTimeout(poll, 1000); return; }
  if (!r.ok) { finishJob(); $("job-error").textContent = r.errors.map((e) => e.text).join("\n"); return; }
  const j = r.job;
  $("job-progress").value = j.progress;
  $("job-phase").textContent = `${j.kind}: ${j.state}` + (j.state === "running" ? ` — ${j.phase} ${(100 * j.progress).toFixed(0)}%` : (j.state === "queued" ? ` — ${j.phase}` : ""));
  if (j.state === "running" || j.state === "queued") { setTimeout(poll, 250); return; }
  finishJob();
  if (j.state === "error") $("job-error").textContent = j.error;
  if (j.state === "done") (j.kind === "forecast" ? renderForecast : renderSweep)(r.result);
}

function finishJob() {
  job = null;
  $("cancel-job").disabled = true; $("run-forecast").disabled = false; $("run-sweep").disabled = false;
}

function cancelJob(message) {
  api("POST", `/api/jobs/${job.id}/cancel`);
  finishJob();
  $("job-phase").textContent = message;
}

function plotFig(id, fig) {
  if (!fig) { Plotly.purge($(id)); $(id).innerHTML = ""; return; }
  Plotly.react($(id), fig.data, fig.layout, { displaylogo: false, responsive: true });
}

function renderForecast(f) {
  plotFig("fig-rounds", f.figure);
  let html = f.missing ? `<p class="na">Positions per round not available: ${esc(f.missing)}</p>`
    : `<p class="muted small">Rounds: ${esc(f.model)} — ${esc(f.citation)}</p>`;
  if (f.outcomes) {
    const issues = state.data.issues;
    html += "<h4>Forecast outcome per model</h4>" + table(["Model", ...issues.map((i) => i.name)],
      Object.entries(f.outcomes.outcomes).map(([m, per]) => [m, ...issues.map((i) => num(per[i.id]))]));
  } else html += `<p class="na">${esc(f.outcomes_missing)}</p>`;
  $("forecast-table").innerHTML = html;
}

function renderSweep(s) {
  $("sweep-summary").innerHTML =
    `<span class="kpi" id="p-deal"><b>${s.p_deal === null ? "—" : (100 * s.p_deal).toFixed(1) + "%"}</b>probability of a deal</span>` +
    `<span class="kpi"><b>${esc(s.draws)}</b>draws (seed ${esc(s.seed)})</span>` +
    (s.p_interval ? `<span class="muted small">95% interval ${(100 * s.p_interval[0]).toFixed(1)}–${(100 * s.p_interval[1]).toFixed(1)}%</span>` : "") +
    (s.notes || []).map((n) => `<p class="muted small">${esc(n)}</p>`).join("");
  plotFig("fig-dist", s.figures.dist);
  plotFig("fig-tornado", s.figures.tornado);
}

// ---- save, upload, export ------------------------------------------------------------------
async function save(ev) {
  ev.preventDefault();
  const name = $("save-name").value.trim();
  $("save-msg").className = "msg"; $("save-msg").textContent = "saving…";
  const r = await api("POST", "/api/save", { name, data: state.data });
  if (!r.ok) {
    $("save-msg").className = "msg err";
    $("save-msg").textContent = r.kind === "offline" ? "not saved: the server cannot be reached (your edits are kept here; save again when it is back)"
      : "not saved: " + r.errors.map((e) => e.text).join("\n");
    if (r.kind === "input") setErrors(r.errors);
    return;
  }
  $("save-msg").className = "msg ok";
  $("save-msg").textContent = `saved ${r.name} version ${r.version}`;
  state.source = "saved"; state.name = r.name; state.version = r.version;
  $("scenario-source").textContent = `saved: ${r.name} (version ${r.version})`;
  renderHistory(r.history);
  const u = new URL(window.location);
  u.searchParams.set("source", "saved"); u.searchParams.set("name", r.name); u.searchParams.delete("version");
  history.replaceState(null, "", u);
  await refreshList();
}

async function upload(ev) {
  const file = ev.target.files[0];
  if (!file) return;
  const fd = new FormData(); fd.append("file", file);
  $("upload-msg").className = "msg"; $("upload-msg").textContent = "reading…";
  const r = await api("POST", "/api/upload", fd);
  ev.target.value = "";
  if (!r.ok) { $("upload-msg").className = "msg err"; $("upload-msg").textContent = r.errors.map((e) => e.text).join("\n"); return; }
  $("upload-msg").className = "msg ok"; $("upload-msg").textContent = "opened " + r.name;
  setScenario(r);
}

async function exportAs(format) {
  const name = ($("save-name").value.trim() || "scenario").replace(/[^A-Za-z0-9_.-]+/g, "_");
  const msg = $("save-msg");
  msg.className = "msg"; msg.textContent = `preparing ${format}…`;
  const post = () => fetch("/api/export", { method: "POST", headers: { "Content-Type": "application/json", "X-Backchannel-Token": state.token },
    body: JSON.stringify({ data: state.data, format, model: $("model").value }) });
  let res;
  try {
    res = await post();
    if (res.status === 403) {  // the server restarted: a new CSRF token
      const s = await api("GET", "/api/session");
      if (s.ok) { state.token = s.token; res = await post(); }
    }
  } catch (e) { msg.className = "msg err"; msg.textContent = "not exported: the server cannot be reached"; return; }
  if (!res.ok) {
    let text = `error ${res.status}`;
    try { text = (await res.json()).errors.map((e) => e.text).join("\n"); } catch (e) { /* keep the status */ }
    msg.className = "msg err"; msg.textContent = "not exported: " + text; return;
  }
  const a = document.createElement("a");
  a.href = URL.createObjectURL(await res.blob());
  a.download = format === "report" ? `${name}.html` : `${name}.yaml`;
  document.body.appendChild(a); a.click(); a.remove();
  msg.className = "msg ok"; msg.textContent = `downloaded ${a.download}`;
}

// ---- keyboard: app-level undo/redo --------------------------------------------------------
function typingUncommitted(t) {
  if (!t || !t.matches || !t.matches("input, textarea")) return false;
  if (t.closest(".tabulator-editing") || t.closest(".tabulator-header-filter")) return true;
  return t.dataset.committed !== undefined ? t.value !== t.dataset.committed : t.type === "text" || t.type === "search" || t.tagName === "TEXTAREA";
}

document.addEventListener("keydown", (e) => {
  if (!(e.ctrlKey || e.metaKey) || e.altKey) return;
  const k = e.key.toLowerCase();
  if ((k === "z" || k === "y") && typingUncommitted(e.target)) return;  // the browser undoes typing in a field
  if (k === "z" && !e.shiftKey) { e.preventDefault(); undo(); } else if (k === "y" || (k === "z" && e.shiftKey)) { e.preventDefault(); redo(); }
});

async function init() {
  $("save-form").addEventListener("submit", save);
  $("undo").addEventListener("click", undo);
  $("redo").addEventListener("click", redo);
  $("upload").addEventListener("change", upload);
  $("export-yaml").addEventListener("click", () => exportAs("yaml"));
  $("export-report").addEventListener("click", () => exportAs("report"));
  $("run-forecast").addEventListener("click", () => startJob("forecast"));
  $("run-sweep").addEventListener("click", () => startJob("sweep"));
  $("job-form").addEventListener("submit", (e) => { e.preventDefault(); startJob(e.submitter?.id === "run-forecast" ? "forecast" : "sweep"); });
  $("cancel-job").addEventListener("click", () => { if (job) cancelJob("cancelled"); });
  $("actor-filter").addEventListener("input", (e) => setView("actorFilter", e.target.value));
  $("issue-filter").addEventListener("change", (e) => setView("issueFilter", e.target.value));
  $("issue-filter").addEventListener("keydown", (e) => { if (e.key === "Enter") setView("issueFilter", e.target.value); });
  $("issue-order").addEventListener("change", (e) => setView("issueOrder", e.target.value));
  $("actor-order").addEventListener("change", (e) => sortActors(e.target.value));
  const session = await api("GET", "/api/session");
  if (session.ok) {
    state.limits = session.limits;
    $("draws").title = `1 to ${session.limits.max_draws.toLocaleString()} (the server's limit)`;
  }
  const [schema, models] = await Promise.all([api("GET", "/api/schema"), api("GET", "/api/models")]);
  if (schema.ok) { state.schema = schema; setSchema(schema); }
  if (models.models) $("model").innerHTML = models.models.map((x) =>
    `<option value="${esc(x.name)}"${x.name === models.default ? " selected" : ""}>${esc(x.name)}${x.rounds ? "" : " (no rounds)"}</option>`).join("");
  const list = await refreshList();
  const p = new URLSearchParams(window.location.search);
  await loadScenario(p.get("source") || "embedded", p.get("name") || list.default || "iran_us_2019", p.get("version"));
  document.body.dataset.ready = "1";
}

init();
