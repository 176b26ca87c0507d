// backchannel dashboard: edit a scenario's actor x issue table, see the verdict and charts.
// The scenario lives here as JSON; the server validates every edit with the schema.
"use strict";

const state = { data: null, source: null, name: null, job: null, timer: null, seq: 0 };
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g,
  (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const num = (x, d = 3) => (x === null || x === undefined) ? "—"
  : (typeof x === "number" ? Number(x.toPrecision(d)).toString() : String(x));

function status(text) { $("status").textContent = text; }

async function api(method, url, body) {
  const opts = { method, headers: {} };
  if (body instanceof FormData) opts.body = body;
  else if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  let res;
  try { res = await fetch(url, opts); }
  catch (e) { return { ok: false, errors: [{ text: "cannot reach the server: " + e, cell: null }] }; }
  let out;
  try { out = await res.json(); }
  catch (e) { out = { ok: false, errors: [{ text: `server answered ${res.status} without JSON`, cell: null }] }; }
  if (!res.ok && out.ok === undefined) out.ok = false;
  if (!out.ok && !out.errors) out.errors = [{ text: out.detail || `error ${res.status}`, cell: null }];
  return out;
}

// ---- scenario list ---------------------------------------------------------------------
async function refreshList() {
  const r = await api("GET", "/api/scenarios");
  if (!r.embedded) { showErrors(r.errors); return r; }
  $("store-path").textContent = r.store;
  $("embedded-list").innerHTML = r.embedded.map((n) =>
    `<li><a data-source="embedded" data-name="${esc(n)}">${esc(n)}</a></li>`).join("");
  $("saved-list").innerHTML = r.saved.length ? r.saved.map((e) =>
    `<li><a data-source="saved" data-name="${esc(e.name)}" title="saved ${esc(e.saved_at)}">` +
    `${esc(e.name)} <span class="muted small">v${e.latest}</span></a></li>`).join("")
    : '<li class="muted">none yet</li>';
  document.querySelectorAll(".list a").forEach((a) => a.addEventListener("click", () =>
    loadScenario(a.dataset.source, a.dataset.name)));
  return r;
}

async function loadScenario(source, name, version) {
  let url = `/api/scenario?source=${encodeURIComponent(source)}&name=${encodeURIComponent(name)}`;
  if (version) url += `&version=${version}`;
  status("loading " + name + "…");
  const r = await api("GET", url);
  if (!r.ok) { showErrors(r.errors); status("could not load " + name); return; }
  setScenario(r);
  const u = new URL(window.location);
  u.searchParams.set("source", source); u.searchParams.set("name", name);
  if (version) u.searchParams.set("version", version); else u.searchParams.delete("version");
  history.replaceState(null, "", u);
}

function setScenario(r) {
  if (state.job) {  // a run of the previous scenario would show results that are not this one's
    api("POST", `/api/jobs/${state.job.id}/cancel`);
    finishJob();
    $("job-phase").textContent = "previous run cancelled: another scenario was loaded";
  }
  state.data = r.data; state.source = r.source; state.name = r.name;
  $("scenario-name").textContent = r.data.name;
  $("scenario-source").textContent = `${r.source}: ${r.name}` + (r.version ? ` (version ${r.version})` : "");
  $("save-name").value = r.source === "saved" ? r.name : (r.name || "").replace(/\.ya?ml$/, "");
  $("history").innerHTML = (r.history || []).length ? "History: " + r.history.map((h) =>
    `<a href="#" data-v="${h.version}" title="${esc(h.saved_at)}">v${h.version}</a>`).join(" ") : "";
  $("history").querySelectorAll("a").forEach((a) => a.addEventListener("click", (ev) => {
    ev.preventDefault(); loadScenario("saved", state.name, a.dataset.v);
  }));
  document.querySelectorAll(".list a").forEach((a) => a.classList.toggle("active",
    a.dataset.source === r.source && a.dataset.name === r.name));
  buildGrid();
  ["fig-rounds", "fig-dist", "fig-tornado"].forEach((id) => { try { Plotly.purge($(id)); } catch (e) { /* empty */ } });
  $("forecast-table").innerHTML = ""; $("sweep-summary").innerHTML = ""; $("job-error").textContent = "";
  analyze();
}

// ---- the actor x issue table ------------------------------------------------------------
const FIELDS = ["position", "salience", "limit"];

function qValue(q) { return (q === null || q === undefined) ? "" : (typeof q === "object" ? q.value : q); }

function buildGrid() {
  const d = state.data;
  const actors = d.actors.filter((a) => a.positions && Object.keys(a.positions).length);
  let html = "<thead><tr><th>Actor</th>" + d.issues.map((i) =>
    `<th title="${esc(i.id)}">${esc(i.name)}<br><span class="muted small">${num(i.scale?.min ?? 0)}–${num(i.scale?.max ?? 100)}</span></th>`).join("") + "</tr></thead><tbody>";
  for (const a of actors) {
    const nd = a.no_deal || {};
    html += `<tr><th>${esc(a.name)}<br><span class="muted small">${esc(a.id)}</span>` +
      `<div class="nodeal-inputs small">no deal: ` + ["adjustment", "trend"].map((f) => {
        const id = `${a.id}|no_deal|${f}`;
        return `<label title="${f === "adjustment" ? "value of no deal beyond the status quo (utility)" : "change of the no-deal value per month"}">${f === "adjustment" ? "adj" : "trend"} ` +
          `<input data-nodeal="${esc(id)}" id="cell-${esc(id)}" aria-label="${esc(a.id)} no deal ${f}" value="${esc(qValue(nd[f]))}"></label>`;
      }).join(" ") + `<div class="cell-error" id="err-${esc(a.id)}|no_deal"></div></div></th>`;
    for (const i of d.issues) {
      const st = a.positions[i.id];
      if (!st) { html += '<td class="muted">—</td>'; continue; }
      const ag = a.agenda || {};
      const agv = (ag.requires || []).includes(i.id) ? "requires" : ((ag.refuses || []).includes(i.id) ? "refuses" : "");
      html += '<td class="cell">' + FIELDS.map((f) => {
        const id = `${a.id}|${i.id}|${f}`;
        return `<input data-cell="${esc(id)}" id="cell-${esc(id)}" aria-label="${esc(a.id)} ${esc(i.id)} ${f}" ` +
          `title="${f}" value="${esc(qValue(st[f]))}">`;
      }).join(" ") +
        `<br><select data-agenda="${esc(a.id)}|${esc(i.id)}" id="agenda-${esc(a.id)}|${esc(i.id)}" aria-label="${esc(a.id)} ${esc(i.id)} agenda">` +
        ["", "requires", "refuses"].map((o) => `<option value="${o}"${o === agv ? " selected" : ""}>${o || "agenda: —"}</option>`).join("") +
        `</select><div class="cell-error" id="err-${esc(a.id)}|${esc(i.id)}"></div></td>`;
    }
    html += "</tr>";
  }
  $("grid").innerHTML = html + "</tbody>";
  $("grid").querySelectorAll("input[data-cell]").forEach((el) => el.addEventListener("change", onCell));
  $("grid").querySelectorAll("input[data-nodeal]").forEach((el) => el.addEventListener("change", onNoDeal));
  $("grid").querySelectorAll("select").forEach((el) => el.addEventListener("change", onAgenda));
}

function actorById(id) { return state.data.actors.find((a) => a.id === id); }

// a new central value keeps its uncertainty range only if it still lies inside it
function withValue(q, raw) {
  const out = (q && typeof q === "object") ? { ...q, value: raw } : { value: raw };
  const x = Number(raw), d = out.dist;
  if (d && raw !== "" && Number.isFinite(x) && d.low !== undefined && d.high !== undefined
      && (x < d.low || x > d.high)) delete out.dist;
  return out;
}

function onCell(ev) {
  const [aid, iid, field] = ev.target.dataset.cell.split("|");
  const st = actorById(aid).positions[iid];
  const raw = ev.target.value.trim();
  if (raw === "" && field === "limit") delete st.limit;
  else st[field] = withValue(st[field], raw);
  schedule();
}

function onNoDeal(ev) {
  const [aid, , field] = ev.target.dataset.nodeal.split("|");
  const a = actorById(aid);
  const nd = { ...(a.no_deal || {}) };
  const raw = ev.target.value.trim();
  if (raw === "") delete nd[field];
  else nd[field] = withValue(nd[field], raw);
  a.no_deal = nd;
  schedule();
}

function onAgenda(ev) {
  const [aid, iid] = ev.target.dataset.agenda.split("|");
  const a = actorById(aid);
  const ag = { ...(a.agenda || {}) };
  ag.requires = (ag.requires || []).filter((x) => x !== iid);
  ag.refuses = (ag.refuses || []).filter((x) => x !== iid);
  if (ev.target.value) ag[ev.target.value].push(iid);
  a.agenda = ag;
  schedule();
}

function schedule() { clearTimeout(state.timer); state.timer = setTimeout(analyze, 150); }

function showErrors(errors) {
  document.querySelectorAll("#grid input.invalid, .nodeal-inputs input.invalid").forEach((el) => el.classList.remove("invalid"));
  document.querySelectorAll(".cell-error").forEach((el) => { el.textContent = ""; });
  const general = [];
  for (const e of errors || []) {
    const input = e.cell ? document.getElementById("cell-" + e.cell) : null;
    if (input) {
      input.classList.add("invalid");
      const [aid, iid] = e.cell.split("|");
      const box = document.getElementById(`err-${aid}|${iid}`);
      if (!box) continue;
      box.textContent = (box.textContent ? box.textContent + "\n" : "") + e.text;
    }
    general.push(e.text);  // every error is also listed above the table
  }
  $("errors").textContent = general.join("\n");
}

// ---- analysis ----------------------------------------------------------------------------
async function analyze() {
  const seq = ++state.seq;
  status("analysing…");
  const r = await api("POST", "/api/analyze", { data: state.data });
  if (seq !== state.seq) return;  // a newer edit is on its way
  if (!r.ok) {
    showErrors(r.errors);
    $("verdict-panel").className = "verdict";
    $("verdict-badge").textContent = "Fix the highlighted input to see the verdict";
    status("invalid input"); return;
  }
  showErrors([]);
  status("");
  renderAnalysis(r);
}

function plot(id, fig) {
  if (!fig) { try { Plotly.purge($(id)); } catch (e) { /* empty */ } $(id).innerHTML = ""; return; }
  Plotly.react($(id), fig.data, fig.layout, { displaylogo: false, responsive: true });
}

function table(head, rows) {
  return "<table><thead><tr>" + head.map((h) => `<th>${esc(h)}</th>`).join("") + "</tr></thead><tbody>" +
    rows.map((r) => "<tr>" + r.map((c) => `<td>${esc(c)}</td>`).join("") + "</tr>").join("") + "</tbody></table>";
}

function renderAnalysis(r) {
  const a = r.analysis, names = r.names, inames = r.issue_names;
  if (a) {
    $("verdict-panel").className = "verdict " + (a.deal_possible ? "deal" : "nodeal");
    $("verdict-badge").textContent = a.deal_possible ? "A deal is possible" : "No deal is reachable";
    $("verdict").textContent = a.verdict;
    $("reasons").innerHTML = (a.reasons || []).map((x) => `<li>${esc(x)}</li>`).join("");
  } else {
    $("verdict-panel").className = "verdict";
    $("verdict-badge").textContent = "Verdict not available";
    $("verdict").textContent = r.analysis_missing; $("reasons").innerHTML = "";
  }
  plot("fig-positions", r.figures.positions);
  plot("fig-zopa", r.figures.zopa);
  $("zopa-missing").hidden = !!r.figures.zopa;
  $("zopa-missing").textContent = r.figures.zopa ? "" : "Win-sets not available: " + (r.analysis_missing || "no ZOPA data");
  const c = r.concessions;
  if (c) {
    $("takes").innerHTML = (c.feasible_already ? "<p>A deal is already feasible.</p>" :
      `<p>Cheapest concessions that make a deal feasible (total cost ${num(c.total_cost)}):</p>`) +
      table(["Who", "Issue", "Kind", "From", "To", "Cost", "Detail"], (c.concessions || []).map((x) =>
        [names[x.actor] || x.actor, x.issue ? (inames[x.issue] || x.issue) : "—", x.kind, num(x.from), num(x.to), num(x.cost), x.detail]));
  } else $("takes").innerHTML = `<p class="na">Not available: ${esc(r.concessions_missing)}</p>`;
  if (a && a.mediators) {
    const e = a.escalation;
    $("mediators").innerHTML = table(["Mediator / third party", "Role", "Can open a ZOPA?", "Why"],
      a.mediators.map((m) => [m.name, m.role, m.can_open_zopa ? "yes" : "no", m.reason])) +
      (e ? `<p><span class="kpi"><b>${(100 * e.p_without_channel).toFixed(1)}%</b>risk of an armed clash within ${num(e.horizon_months)} months without a channel</span>` +
        `<span class="kpi"><b>${(100 * e.p_with_channels).toFixed(1)}%</b>with the channels</span></p>` : "");
  } else $("mediators").innerHTML = `<p class="na">Not available: ${esc(r.analysis_missing || "no mediators")}</p>`;
}

// ---- jobs: forecast and sweep ----------------------------------------------------------
async function startJob(kind) {
  if (state.job) return;
  $("job-error").textContent = "";
  const body = { kind, data: state.data, model: $("model").value, draws: $("draws").value, seed: $("seed").value };
  const r = await api("POST", "/api/jobs", body);
  if (!r.ok) { $("job-error").textContent = r.errors.map((e) => e.text).join("\n"); return; }
  state.job = r.job;
  $("cancel-job").disabled = false; $("run-forecast").disabled = true; $("run-sweep").disabled = true;
  poll();
}

async function poll() {
  const job = state.job;
  if (!job) return;
  const r = await api("GET", `/api/jobs/${job.id}`);
  if (!r.ok) { finishJob(); $("job-error").textContent = r.errors.map((e) => e.text).join("\n"); return; }
  const j = r.job;
  if (state.job !== job) return;  // cancelled or replaced meanwhile
  $("job-progress").value = j.progress;
  $("job-phase").textContent = `${j.kind}: ${j.state}` + (j.state === "running" ? ` — ${j.phase} ${(100 * j.progress).toFixed(0)}%` : "");
  if (j.state === "running") { setTimeout(poll, 250); return; }
  finishJob();
  if (j.state === "error") $("job-error").textContent = j.error;
  if (j.state === "done") (j.kind === "forecast" ? renderForecast : renderSweep)(j.result);
}

function finishJob() {
  state.job = null;
  $("cancel-job").disabled = true; $("run-forecast").disabled = false; $("run-sweep").disabled = false;
}

function renderForecast(f) {
  plot("fig-rounds", f.figure);
  let html = f.missing ? `<p class="na">Positions per round not available: ${esc(f.missing)}</p>` : "";
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
    `<span class="kpi"><b>${s.draws}</b>draws (seed ${s.seed})</span>` +
    (s.p_interval ? `<span class="muted small">95% interval ${(100 * s.p_interval[0]).toFixed(1)}–${(100 * s.p_interval[1]).toFixed(1)}%</span>` : "") +
    (s.notes || []).map((n) => `<p class="muted small">${esc(n)}</p>`).join("");
  plot("fig-dist", s.figures.dist);
  plot("fig-tornado", s.figures.tornado);
}

// ---- save and upload ---------------------------------------------------------------------
async function save() {
  const name = $("save-name").value.trim();
  $("save-msg").className = "msg"; $("save-msg").textContent = "saving…";
  const r = await api("POST", "/api/save", { name, data: state.data });
  if (!r.ok) {
    $("save-msg").className = "msg err";
    $("save-msg").textContent = "not saved: " + r.errors.map((e) => e.text).join("\n");
    showErrors(r.errors); return;
  }
  $("save-msg").className = "msg ok";
  $("save-msg").textContent = `saved ${r.name} version ${r.version}`;
  await refreshList();
  const u = new URL(window.location);
  u.searchParams.set("source", "saved"); u.searchParams.set("name", r.name); u.searchParams.delete("version");
  history.replaceState(null, "", u);
  state.source = "saved"; state.name = r.name;
  $("scenario-source").textContent = `saved: ${r.name} (version ${r.version})`;
}

async function upload(ev) {
  const file = ev.target.files[0];
  if (!file) return;
  const fd = new FormData(); fd.append("file", file);
  $("upload-msg").className = "msg"; $("upload-msg").textContent = "uploading…";
  const r = await api("POST", "/api/upload", fd);
  if (!r.ok) { $("upload-msg").className = "msg err"; $("upload-msg").textContent = r.errors.map((e) => e.text).join("\n"); return; }
  $("upload-msg").className = "msg ok"; $("upload-msg").textContent = "loaded " + r.name;
  setScenario(r);
}

async function exportAs(format) {
  const name = ($("save-name").value.trim() || "scenario").replace(/[^A-Za-z0-9_.-]+/g, "_");
  $("save-msg").className = "msg"; $("save-msg").textContent = `preparing ${format}…`;
  let res;
  try {
    res = await fetch("/api/export", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ data: state.data, format, model: $("model").value }) });
  } catch (e) { $("save-msg").className = "msg err"; $("save-msg").textContent = "cannot reach the server: " + e; return; }
  if (!res.ok || (res.headers.get("content-type") || "").startsWith("application/json")) {
    let text = `error ${res.status}`;
    try { text = (await res.json()).errors.map((e) => e.text).join("\n"); } catch (e) { /* keep status */ }
    $("save-msg").className = "msg err"; $("save-msg").textContent = "not exported: " + text; return;
  }
  const a = document.createElement("a");
  a.href = URL.createObjectURL(await res.blob());
  a.download = format === "report" ? `${name}.html` : `${name}.yaml`;
  document.body.appendChild(a); a.click(); a.remove();
  $("save-msg").className = "msg ok"; $("save-msg").textContent = `downloaded ${a.download}`;
}

async function init() {
  $("save-btn").addEventListener("click", save);
  $("upload").addEventListener("change", upload);
  $("export-yaml").addEventListener("click", () => exportAs("yaml"));
  $("export-report").addEventListener("click", () => exportAs("report"));
  $("run-forecast").addEventListener("click", () => startJob("forecast"));
  $("run-sweep").addEventListener("click", () => startJob("sweep"));
  $("cancel-job").addEventListener("click", async () => {
    if (state.job) await api("POST", `/api/jobs/${state.job.id}/cancel`);
  });
  const m = await api("GET", "/api/models");
  if (m.models) $("model").innerHTML = m.models.map((x) =>
    `<option value="${esc(x.name)}"${x.name === m.default ? " selected" : ""}>${esc(x.name)}${x.rounds ? "" : " (no rounds)"}</option>`).join("");
  const list = await refreshList();
  const p = new URLSearchParams(window.location.search);
  await loadScenario(p.get("source") || "embedded", p.get("name") || list.default || "iran_us_2019", p.get("version"));
  document.body.dataset.ready = "1";
}

init();
