// The actor x issue grid (Tabulator, vendored): one row per actor, one column group per
// issue with labelled sub-columns (pos, sal, red line, agenda), a frozen actor column and
// a header that stays in view. The grid only shows and navigates; every change goes
// through core.apply (one undo step per edit, paste, fill-down or clear).
"use strict";

import { $, apply, esc, getAt, num, on, parseTyped, qValue, state, withValue } from "./core.js";

const SUB = [
  ["pos", "position", "pos", "ideal point on the issue's scale"],
  ["sal", "salience", "sal", "salience: how much the issue matters to this actor (0–100)"],
  ["lim", "limit", "red line", "red line: the worst value this actor can accept (empty = none)"],
  ["agd", "agenda", "agenda", "requires the issue on the agenda, refuses to negotiate it, or lets a deal defer it (separable)"],
];
const ACTOR_COLS = {
  cap: ["capability", "capability", "relative power (only ratios between actors matter)"],
  veto: ["veto", "veto", "must this actor agree to any deal? (in brackets: the default for its kind)"],
  nd_adj: ["adjustment", "no deal: adj", "value of no deal beyond the status quo (utility)"],
  nd_trend: ["trend", "no deal: trend", "change of the no-deal value per month"],
};
// the agenda lists an actor keeps per issue (requires, refuses, separable, ...): read from
// the schema's Agenda model, so a new kind of list shows up without new code here
function agendaKinds() {
  const props = state.schema?.$defs?.Agenda?.properties || {};
  const kinds = Object.keys(props).filter((k) => props[k].type === "array");
  return kinds.length ? kinds : ["requires", "refuses"];
}
// a cell's choices: nothing, each list, each pair of lists ("requires + separable")
function agendaChoices() {
  const kinds = agendaKinds();
  const out = { "": "—" };
  kinds.forEach((k) => { out[k] = k; });
  kinds.forEach((k, i) => kinds.slice(i + 1).forEach((l) => { out[`${k} + ${l}`] = `${k} + ${l}`; }));
  return out;
}
const VETO = { "": "default", true: "yes", false: "no" };

let table = null;
let meta = {};        // column field -> {issue, sub} or {actor: key}
let shape = "";       // actors and issues the columns were built for
let built = false;
const view = { actorFilter: "", issueFilter: "", issueOrder: "scenario" };

const actorIndex = (aid) => state.data.actors.findIndex((a) => a.id === aid);

function agendaOf(a, iid) {
  const ag = a.agenda || {};
  return agendaKinds().filter((k) => (ag[k] || []).includes(iid)).join(" + ");
}

function rowOf(a) {
  const nd = a.no_deal || {};
  const row = { _aid: a.id, name: a.name, cap: qValue(a.capability), veto: a.veto === undefined || a.veto === null ? "" : String(a.veto),
    nd_adj: qValue(nd.adjustment), nd_trend: qValue(nd.trend) };
  state.data.issues.forEach((iss, j) => {
    const st = (a.positions || {})[iss.id];
    row[`c${j}_pos`] = st ? qValue(st.position) : "";
    row[`c${j}_sal`] = st ? qValue(st.salience) : "";
    row[`c${j}_lim`] = st ? qValue(st.limit) : "";
    row[`c${j}_agd`] = agendaOf(a, iss.id);
  });
  return row;
}

// the data path and quantity a grid cell shows
function pathOf(aid, field) {
  const ai = actorIndex(aid);
  const m = meta[field];
  if (ai < 0 || !m) return null;
  if (field === "name") return ["actors", ai, "name"];
  if (m.actor === "cap") return ["actors", ai, "capability"];
  if (m.actor === "veto") return ["actors", ai, "veto"];
  if (m.actor === "nd_adj") return ["actors", ai, "no_deal", "adjustment"];
  if (m.actor === "nd_trend") return ["actors", ai, "no_deal", "trend"];
  if (m.sub === "agd") return ["actors", ai, "agenda"];
  return ["actors", ai, "positions", m.issue, SUB.find((s) => s[0] === m.sub)[1]];
}

function cellKey(aid, field) { return `${aid}|${field}`; }

// the grid cell an error path points at ("usa|c0_lim"), if any
export function cellOfPath(path) {
  if (!path || path[0] !== "actors" || typeof path[1] !== "number") return null;
  const a = state.data.actors[path[1]];
  if (!a || typeof a !== "object") return null;
  const j = (iid) => state.data.issues.findIndex((i) => i.id === iid);
  const [, , p2, p3, p4] = path;
  if (path.length === 2) return cellKey(a.id, "name");
  if (p2 === "name") return cellKey(a.id, "name");
  if (p2 === "capability") return cellKey(a.id, "cap");
  if (p2 === "veto") return cellKey(a.id, "veto");
  if (p2 === "no_deal" && p3 === "adjustment") return cellKey(a.id, "nd_adj");
  if (p2 === "no_deal" && p3 === "trend") return cellKey(a.id, "nd_trend");
  if (p2 === "positions" && j(p3) >= 0) {
    const sub = SUB.find((s) => s[1] === p4);
    return cellKey(a.id, `c${j(p3)}_${sub ? sub[0] : "pos"}`);
  }
  if (p2 === "agenda" && agendaKinds().includes(p3) && typeof p4 === "number") {
    const iid = (a.agenda?.[p3] || [])[p4];
    if (j(iid) >= 0) return cellKey(a.id, `c${j(iid)}_agd`);
  }
  return null;
}

// The changes a value typed into a cell makes. Agenda cells of one actor build on each
// other within a paste or fill (``work`` holds the agendas as they become); text that
// is no agenda or veto value is skipped (returns null): those cells are drop-downs.
function changeFor(aid, field, raw, work = {}) {
  const path = pathOf(aid, field);
  if (!path) return [];
  const a = state.data.actors[path[1]];
  const m = meta[field];
  const text = String(raw ?? "").trim();
  if (field === "name") return [{ path, value: text }];
  if (m.actor === "veto") {
    const v = { "": undefined, default: undefined, true: true, yes: true, false: false, no: false }[text.toLowerCase()];
    return v === undefined && !["", "default"].includes(text.toLowerCase()) ? null : [{ path, value: v }];
  }
  if (m.sub === "agd") {
    const kinds = agendaKinds();
    const chosen = text === "—" ? [] : text.toLowerCase().split(/[\s+,]+/).filter(Boolean);
    if (chosen.some((k) => !kinds.includes(k))) return null;
    const ag = JSON.parse(JSON.stringify(work[a.id] ?? a.agenda ?? {}));
    for (const k of kinds) {
      ag[k] = (ag[k] || []).filter((x) => x !== m.issue);
      if (chosen.includes(k)) ag[k].push(m.issue);
    }
    work[a.id] = ag;
    return [{ path, value: ag }];
  }
  if (m.sub === "pos" && text === "") return [{ path: path.slice(0, -1), value: undefined }];  // no stance
  if (text === "") return [{ path, value: undefined }];  // back to the default (salience 50, no red line)
  return [{ path, value: withValue(getAt(state.data, path), parseTyped(text)) }];
}

// many cells as one undo step; later agenda changes of an actor replace its earlier ones
function commitMany(cells, label) {
  const work = {}, changes = [];
  let skipped = 0;
  for (const [aid, field, raw] of cells) {
    const ch = changeFor(aid, field, raw, work);
    if (ch === null) { skipped++; continue; }
    for (const c of ch) {
      const i = changes.findIndex((x) => JSON.stringify(x.path) === JSON.stringify(c.path));
      if (i >= 0) changes.splice(i, 1);
      changes.push(c);
    }
  }
  commit(changes, label);
  if (skipped) $("cell-info").textContent = `${skipped} value(s) skipped: agenda cells take ${agendaKinds().join(", ")} or nothing; veto cells yes, no or default`;
}

function describe(aid, field) {
  const a = state.data.actors[actorIndex(aid)];
  const m = meta[field];
  if (!a || !m) return "";
  const path = pathOf(aid, field);
  const q = m.sub === "agd" ? null : getAt(state.data, path);
  let what = m.issue !== undefined
    ? `${a.name} · ${(state.data.issues.find((i) => i.id === m.issue) || {}).name} · ${SUB.find((s) => s[0] === m.sub)[2]}`
    : `${a.name} · ${ACTOR_COLS[m.actor]?.[1] || "name"}`;
  if (q && typeof q === "object") {
    if (q.dist) what += ` · ${q.dist.dist} ${q.dist.low ?? ""}${q.dist.high !== undefined ? "–" + q.dist.high : ""}${q.dist.sd ? " sd " + q.dist.sd : ""}`;
    if (q.note) what += ` · note: ${q.note}`;
  }
  return what;
}

function formatter(cell) {
  const field = cell.getField();
  const aid = cell.getRow().getData()._aid;
  const el = cell.getElement();
  const key = cellKey(aid, field);
  el.dataset.cell = key;
  const err = state.cellErrors[key];
  el.classList.toggle("invalid", !!err);
  if (err) { el.setAttribute("aria-invalid", "true"); el.title = err; } else { el.removeAttribute("aria-invalid"); el.removeAttribute("title"); }
  const m = meta[field] || {};
  const v = cell.getValue();
  if (m.sub === "agd") return esc(v || "—");
  if (m.actor === "veto") return esc(v === "" ? `(${(state.veto || []).includes(aid) ? "yes" : "no"})` : (VETO[v] ?? v));
  el.classList.toggle("na", m.issue !== undefined && m.sub !== "pos" && rowHasNoStance(aid, m.issue));
  if (field === "name") return esc(v);
  const q = getAt(state.data, pathOf(aid, field) || []);
  const mark = q && typeof q === "object" && (q.dist || q.note) ? '<span class="unc" aria-hidden="true">' + (q.dist ? "±" : "✎") + "</span>" : "";
  return (typeof v === "number" ? esc(num(v, 6)) : esc(v)) + mark;
}

function rowHasNoStance(aid, iid) {
  const a = state.data.actors[actorIndex(aid)];
  return !a || !(a.positions || {})[iid];
}

function issueOrder() {
  let idx = state.data.issues.map((iss, j) => j);
  const f = view.issueFilter.trim().toLowerCase();
  if (f) idx = idx.filter((j) => `${state.data.issues[j].name} ${state.data.issues[j].id}`.toLowerCase().includes(f));
  if (view.issueOrder === "name") idx.sort((x, y) => state.data.issues[x].name.localeCompare(state.data.issues[y].name));
  return idx;
}

function columns() {
  meta = { name: { actor: "name" } };
  const editNumber = { editor: "input", editorParams: { selectContents: true } };
  const cols = [];
  cols.push({ title: "Actor values", headerHozAlign: "center", columns: Object.entries(ACTOR_COLS).map(([k, [, title, tip]]) => {
    meta[k] = { actor: k };
    return k === "veto"
      ? { title, field: k, editor: "list", editorParams: { values: VETO }, headerTooltip: tip, headerSort: true }
      : { title, field: k, ...editNumber, headerTooltip: tip, headerSort: true, sorter: "number" };
  }) });
  for (const j of issueOrder()) {
    const iss = state.data.issues[j];
    const scale = iss.scale || {};
    cols.push({
      title: `${esc(iss.name)} <span class="muted small">${esc(num(scale.min ?? 0))}–${esc(num(scale.max ?? 100))}</span>`,
      headerHozAlign: "center",
      columns: SUB.map(([sub, , title, tip]) => {
        const field = `c${j}_${sub}`;
        meta[field] = { issue: iss.id, sub };
        return sub === "agd"
          ? { title, field, editor: "list", editorParams: { values: agendaChoices() }, headerTooltip: tip, headerSort: false }
          : { title, field, ...editNumber, headerTooltip: `${esc(iss.name)}: ${tip}`, sorter: "number", headerSort: true };
      }),
    });
  }
  for (const c of cols) for (const leaf of c.columns || [c]) leaf.formatter = formatter;
  return cols;
}

// (Tabulator renders column titles and header tooltips as HTML: names go in escaped)
// the actor column: Tabulator's row header, so it stays in view and anchors ranges
const rowHeader = () => ({ title: "Actor", field: "name", frozen: true, minWidth: 130, headerSort: false, resizable: false,
  hozAlign: "left", headerHozAlign: "left", formatter, headerTooltip: "actor (edit names and ids in the form below)" });

const shapeOf = () => JSON.stringify([state.data.actors.map((a) => a.id), state.data.issues.map((i) => [i.id, i.name, i.scale]), view]);

export function buildGrid() {
  const rows = state.data.actors.map(rowOf);
  marked = new Set(Object.keys(state.cellErrors || {}));
  vetoShown = new Set(state.veto || []);
  shape = shapeOf();
  if (!table) {
    table = new Tabulator($("grid"), {
      data: rows, columns: columns(), rowHeader: rowHeader(), index: "_aid", maxHeight: "min(560px, 70vh)", layout: "fitData",
      renderVertical: "basic", renderHorizontal: "basic",
      selectableRange: 1, selectableRangeColumns: false, selectableRangeRows: true, selectableRangeClearCells: false,
      clipboard: "copy", clipboardCopyRowRange: "range", clipboardCopyConfig: { columnHeaders: false, columnGroups: false, rowHeaders: false },
      editTriggerEvent: "dblclick", history: false, headerSortClickElement: "icon", selectableRangeAutoFocus: false,
      keybindings: { navPrev: false, navNext: false },
      columnDefaults: { headerHozAlign: "center", hozAlign: "right", resizable: false, minWidth: 52 },
    });
    table.on("tableBuilt", () => { built = true; wire(); applyFilter(); readyHooks.splice(0).forEach((f) => f()); });
    table.on("cellEdited", (cell) => {
      const aid = cell.getRow().getData()._aid;
      commitMany([[aid, cell.getField(), cell.getValue()]], `edit ${describe(aid, cell.getField())}`);
    });
    table.on("rangeChanged", showActive);
    table.on("cellClick", showActive);
    return;
  }
  if (!built) { whenReady(buildGrid); return; }
  table.setColumns(columns());
  table.replaceData(rows).then(applyFilter);
}

const readyHooks = [];
export function whenReady(fn) { if (built) fn(); else readyHooks.push(fn); }

// Redrawing a row while one of its cells is being edited would destroy the editor:
// updates that arrive then (an analysis answer, an undo) wait until the edit ends.
const pending = new Set();
let waiting = null;
function whenIdle(fn) {
  if (!table || !built) return;
  if (!editing()) { fn(); return; }
  pending.add(fn);
  waiting ||= setInterval(() => {
    if (editing()) return;
    clearInterval(waiting);
    waiting = null;
    const fns = [...pending];
    pending.clear();
    fns.forEach((f) => f());
  }, 100);
}

// after a change of the scenario: rebuild when actors or issues changed, else update the
// rows of the actors the change touched (steps: core.apply's; none = all rows)
export function refreshGrid(steps) {
  const touched = steps && steps.every((s) => s.path[0] === "actors" && typeof s.path[1] === "number")
    ? new Set(steps.map((s) => s.path[1])) : null;
  whenIdle(() => {
    if (shapeOf() !== shape) { buildGrid(); return; }
    const actors = state.data.actors.filter((a, i) => !touched || touched.has(i));
    table.updateData(actors.map(rowOf));
  });
}

// re-run the formatters of the rows whose error marks or default veto changed
let marked = new Set(), vetoShown = new Set();
const flipped = (a, b) => [...a, ...b].filter((k) => a.has(k) !== b.has(k));
function markCells() {
  whenIdle(() => {
    const now = new Set(Object.keys(state.cellErrors)), veto = new Set(state.veto || []);
    const rows = new Set([...flipped(marked, now).map((k) => k.split("|")[0]), ...flipped(vetoShown, veto)]);
    marked = now;
    vetoShown = veto;
    for (const aid of rows) { const row = table.getRow(aid); if (row) row.reformat(); }  // false: gone
    showActive();
  });
}

function commit(changes, label) {
  if (!apply(changes, label, "grid")) refreshGrid();  // a no-op edit: show the stored value again
}

function applyFilter() {
  const f = view.actorFilter.trim();
  if (f) table.setFilter("name", "like", f); else table.clearFilter();
}

export function setView(key, value) {
  view[key] = value;
  if (key === "actorFilter") applyFilter(); else buildGrid();
}

export function sortActors(how) {
  if (!table || !built) return;
  if (how === "scenario") table.clearSort(); else table.setSort(how, how === "name" ? "asc" : "desc");
}

// ---- ranges: active cell, paste, fill-down, clear -----------------------------------------
function activeRange() { const r = table.getRanges(); return r.length ? r[r.length - 1] : null; }
function visibleColumns() { return table.getColumns().filter((c) => c.isVisible()); }

function showActive() {
  const r = activeRange();
  const box = $("cell-info");
  if (!r) { box.textContent = ""; return; }
  const cells = r.getCells().flat();
  const cell = cells[0];
  if (!cell) return;
  const aid = cell.getRow().getData()._aid;
  $("grid").dataset.active = cellKey(aid, cell.getField());
  const err = state.cellErrors[cellKey(aid, cell.getField())];
  box.innerHTML = esc(describe(aid, cell.getField())) + (cells.length > 1 ? ` <span class="muted">(${cells.length} cells selected)</span>` : "") +
    (err ? ` — <span class="err">${esc(err)}</span>` : "");
}

function rangeBox() {
  const r = activeRange();
  if (!r) return null;
  return { top: r.getTopEdge(), bottom: r.getBottomEdge(), left: r.getLeftEdge(), right: r.getRightEdge() };
}

function editing() { return !!$("grid").querySelector(".tabulator-editing"); }

function paste(text) {
  const box = rangeBox();
  if (!box) return;
  const lines = text.replace(/\r\n?/g, "\n").replace(/\n$/, "").split("\n").map((l) => l.split("\t"));
  const rows = table.getRows("active");
  const cols = visibleColumns();
  const cells = [];
  // one value fills the whole selection; a block lands from the selection's top-left cell
  const fill = lines.length === 1 && lines[0].length === 1;
  const height = fill ? box.bottom - box.top + 1 : lines.length;
  for (let r = 0; r < height; r++) {
    const width = fill ? box.right - box.left + 1 : lines[r].length;
    for (let c = 0; c < width; c++) {
      const row = rows[box.top + r], col = cols[box.left + c];
      if (!row || !col) continue;
      cells.push([row.getData()._aid, col.getField(), fill ? lines[0][0] : lines[r][c]]);
    }
  }
  commitMany(cells, `paste ${lines.length}×${lines[0].length} (${cells.length} cells)`);
}

function fillDown() {
  const box = rangeBox();
  if (!box || box.bottom === box.top) return;
  const rows = table.getRows("active"), cols = visibleColumns();
  const cells = [];
  for (let c = box.left; c <= box.right; c++) {
    const field = cols[c].getField();
    const top = rows[box.top].getData()[field];
    for (let r = box.top + 1; r <= box.bottom; r++) cells.push([rows[r].getData()._aid, field, top]);
  }
  commitMany(cells, `fill down ${box.bottom - box.top + 1}×${box.right - box.left + 1}`);
}

function clearRange() {
  const box = rangeBox();
  if (!box) return;
  const rows = table.getRows("active"), cols = visibleColumns();
  const cells = [];
  for (let r = box.top; r <= box.bottom; r++) {
    for (let c = box.left; c <= box.right; c++) {
      const field = cols[c].getField();
      if (field !== "name") cells.push([rows[r].getData()._aid, field, ""]);  // names stay
    }
  }
  commitMany(cells, "clear");
}

function wire() {
  const holder = $("grid");
  holder.addEventListener("paste", (e) => {
    if (editing()) return;
    e.preventDefault();
    paste(e.clipboardData.getData("text/plain"));
  }, true);
  holder.addEventListener("keydown", (e) => {
    if (editing()) return;
    const mod = e.ctrlKey || e.metaKey;
    if (mod && e.key.toLowerCase() === "d") { e.preventDefault(); fillDown(); return; }
    if (!mod && (e.key === "Delete" || e.key === "Backspace")) { e.preventDefault(); clearRange(); return; }
    // typing starts an edit of the active cell with that character, as in a spreadsheet
    if (!mod && !e.altKey && e.key.length === 1 && activeRange()) {
      const cell = activeRange().getCells().flat()[0];
      if (!cell || meta[cell.getField()]?.sub === "agd" || meta[cell.getField()]?.actor === "veto") return;
      e.preventDefault();
      cell.edit(true);
      const input = cell.getElement().querySelector("input");
      if (input) { input.value = e.key; input.setSelectionRange(1, 1); }
    }
  });
}

on("errors", markCells);
