// backchannel dashboard: shared state, HTTP, paths into the scenario, and app-level undo.
// The scenario lives here as JSON (the schema's dump); every change is a list of
// {path, before, after} steps, so undo/redo covers the grid, the form and pastes alike.
"use strict";

export const state = {
  data: null, source: null, name: null, version: null,
  token: document.querySelector('meta[name="csrf-token"]')?.content || "",
  limits: {}, schema: null, errors: [], cellErrors: {}, veto: [], undo: [], redo: [], offline: false,
};

export const $ = (id) => document.getElementById(id);
export const esc = (s) => String(s ?? "").replace(/[&<>"']/g,
  (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
export const num = (x, d = 3) => (x === null || x === undefined) ? "—"
  : (typeof x === "number" ? Number(x.toPrecision(d)).toString() : String(x));
export const clone = (x) => (x === undefined ? undefined : JSON.parse(JSON.stringify(x)));
export const pkey = (path) => JSON.stringify(path);

// ---- events ------------------------------------------------------------------------------
const listeners = {};
export function on(evt, fn) { (listeners[evt] ||= []).push(fn); }
export function emit(evt, payload) { for (const fn of listeners[evt] || []) fn(payload); }

// ---- HTTP: offline, input errors and server errors kept apart ----------------------------
let pinger = null;

function setOffline(off) {
  if (off === state.offline) return;
  state.offline = off;
  $("offline").hidden = !off;
  if (off && !pinger) {
    pinger = setInterval(async () => {
      try {
        const r = await fetch("/api/session", { cache: "no-store" });
        if (r.ok) { state.token = (await r.json()).token; setOffline(false); }
      } catch (e) { /* still unreachable */ }
    }, 3000);
  }
  if (!off) { clearInterval(pinger); pinger = null; emit("online"); }
}

export function serverError(errors) {
  const box = $("server-error");
  box.hidden = !errors;
  box.textContent = errors ? errors.map((e) => e.text).join("\n") : "";
}

// Returns the JSON answer with .ok; .kind is "ok", "input" (4xx: fix the input),
// "server" (5xx: not the user's fault, shown with its id) or "offline".
export async function api(method, url, body, retried = false) {
  const opts = { method, headers: {}, cache: "no-store" };
  if (method !== "GET") opts.headers["X-Backchannel-Token"] = state.token;
  if (body instanceof FormData) opts.body = body;
  else if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  let res;
  try { res = await fetch(url, opts); } catch (e) {
    setOffline(true);
    return { ok: false, kind: "offline", errors: [{ text: "the server cannot be reached", cell: null }] };
  }
  setOffline(false);
  let out;
  try { out = await res.json(); } catch (e) {
    out = { ok: false, errors: [{ text: `the server answered ${res.status} without a readable body`, cell: null }] };
  }
  if (!res.ok) out.ok = false; else if (out.ok === undefined) out.ok = true;
  if (!out.ok && !out.errors) out.errors = [{ text: `error ${res.status}`, cell: null }];
  if (res.status === 403 && out.errors?.[0]?.code === "csrf" && !retried) {
    const s = await api("GET", "/api/session");  // the server restarted: new token
    if (s.ok) { state.token = s.token; return api(method, url, body, true); }
  }
  out.kind = out.ok ? "ok" : (res.status >= 500 ? "server" : "input");
  out.status = res.status;
  return out;
}

// ---- paths into the scenario -------------------------------------------------------------
export function getAt(obj, path) {
  let cur = obj;
  for (const p of path) { if (cur === null || typeof cur !== "object") return undefined; cur = cur[p]; }
  return cur;
}

function setAt(obj, path, value) {
  let cur = obj;
  for (let i = 0; i < path.length - 1; i++) {
    if (cur[path[i]] === null || typeof cur[path[i]] !== "object") {
      cur[path[i]] = typeof path[i + 1] === "number" ? [] : {};
    }
    cur = cur[path[i]];
  }
  const last = path[path.length - 1];
  if (value === undefined) {
    if (Array.isArray(cur) && typeof last === "number") cur.splice(last, 1); else delete cur[last];
  } else cur[last] = value;
}

// ---- changes and undo ------------------------------------------------------------------------
// changes: [{path, value}] (value undefined removes the field). One call = one undo step.
export function apply(changes, label, from) {
  const steps = [];
  for (const c of changes) {
    const before = clone(getAt(state.data, c.path));
    const after = clone(c.value);
    if (JSON.stringify(before) === JSON.stringify(after)) continue;
    steps.push({ path: c.path, before, after });
    setAt(state.data, c.path, after);
  }
  if (!steps.length) return false;
  state.undo.push({ label, steps });
  if (state.undo.length > 500) state.undo.shift();
  state.redo = [];
  emit("change", { steps, from, label });
  return true;
}

function replay(from, to, which, label) {
  const action = from.pop();
  if (!action) return;
  const steps = which === "undo" ? [...action.steps].reverse() : action.steps;
  for (const s of steps) setAt(state.data, s.path, clone(which === "undo" ? s.before : s.after));
  to.push(action);
  emit("change", { steps: action.steps, from: which, label: `${label} ${action.label}` });
}
export function undo() { replay(state.undo, state.redo, "undo", "undid"); }
export function redo() { replay(state.redo, state.undo, "redo", "redid"); }
export function resetHistory() { state.undo = []; state.redo = []; emit("history"); }

// ---- values typed by people --------------------------------------------------------------
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;
// a number when it reads as one; otherwise the raw text, so the schema names the problem
export function parseTyped(raw) {
  const t = String(raw ?? "").trim();
  return NUMBER.test(t) ? Number(t) : t;
}

export const qValue = (q) => (q === null || q === undefined) ? "" : (typeof q === "object" ? q.value : q);

// a quantity with a new central value: its note stays; its uncertainty only while the new
// value still lies inside the range (a sweep would otherwise ignore the edit)
export function withValue(q, value) {
  const out = (q && typeof q === "object") ? { ...q, value } : { value };
  const d = out.dist;
  if (d && typeof value === "number" && d.low !== undefined && d.low !== null
      && d.high !== undefined && d.high !== null && (value < d.low || value > d.high)) delete out.dist;
  return out;
}
