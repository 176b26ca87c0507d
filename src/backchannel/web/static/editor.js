// The scenario form, generated from the scenario's JSON Schema (GET /api/schema, the
// same as `backchannel schema`): every field the schema has can be edited, so new
// fields need no new code here. Objects become groups (opened on demand), lists and
// mappings get add / remove / move, enumerations a drop-down, unions a choice of kind,
// quantities ({value, note, dist}) their value inline and the rest one click away.
// Each edit goes through core.apply, so it is validated, marked in place and undoable.
"use strict";

import { $, apply, clone, on, parseTyped, pkey, state } from "./core.js";

let root = null;
const opened = new Set([pkey([])]);
let uid = 0;

export function setSchema(schema) { root = schema; }

// ---- reading the schema --------------------------------------------------------------------
function resolve(s) {
  let out = s || {};
  for (let i = 0; i < 32; i++) {
    if (out.$ref) {
      const { $ref, ...rest } = out;
      out = { ...(root.$defs || {})[$ref.split("/").pop()], ...rest };
    } else if (out.allOf && out.allOf.length === 1) {
      const { allOf, ...rest } = out;
      out = { ...allOf[0], ...rest };
    } else break;
  }
  return out;
}
const variants = (s) => (s.anyOf || s.oneOf || []).map(resolve);
const nonNull = (s) => variants(s).filter((v) => v.type !== "null");

function unwrap(s) {
  s = resolve(s);
  if (s.anyOf || s.oneOf) { const nn = nonNull(s); if (nn.length === 1) return unwrap({ ...nn[0], default: s.default }); }
  return s;
}

function kindOf(s) {
  s = unwrap(s);
  if (s.anyOf || s.oneOf || Array.isArray(s.type)) return "union";
  if (s.enum || s.const !== undefined) return "enum";
  if (s.type === "object" || s.properties) return s.properties ? "object" : "dict";
  return s.type || "any";
}

const isQuantity = (s) => kindOf(s) === "object" && (unwrap(s).required || []).includes("value")
  && ["number", "integer"].includes(kindOf(unwrap(s).properties.value));

function defaultFor(s, taken = []) {
  s = resolve(s);
  if (s.default !== undefined && s.default !== null) return clone(s.default);
  if (s.anyOf || s.oneOf) return defaultFor(nonNull(s)[0] || {}, taken);
  if (s.enum) return s.enum[0];
  if (s.const !== undefined) return s.const;
  const t = Array.isArray(s.type) ? s.type.find((x) => x !== "null") : s.type;
  if (t === "object" || s.properties) {
    const out = {};
    for (const k of s.required || []) out[k] = k === "id" ? newId(taken) : defaultFor(s.properties[k]);
    return out;
  }
  if (t === "array") return [];
  if (t === "number" || t === "integer") return s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : (s.minimum ?? 0);
  if (t === "boolean") return false;
  if (t === "string") return s.minLength ? "new" : "";
  return null;
}

function newId(taken) {
  const ids = new Set(taken.map((x) => x && x.id));
  let i = 1;
  while (ids.has(`new_${i}`)) i++;
  return `new_${i}`;
}

// which variant of a union a value is
function variantOf(s, value) {
  const vs = nonNull(s);
  const disc = s.discriminator?.propertyName;
  let i = -1;
  if (disc && value && typeof value === "object") i = vs.findIndex((v) => resolve(v.properties?.[disc] || {}).const === value[disc]);
  if (i < 0) {
    const t = Array.isArray(value) ? "array" : value === null ? "null" : typeof value === "object" ? "object" : typeof value;
    i = vs.findIndex((v) => kindOf(v) === t || (t === "number" && kindOf(v) === "integer") || (t === "object" && ["object", "dict"].includes(kindOf(v))));
  }
  return Math.max(i, 0);
}

const variantName = (v, i) => v.title || (v.properties && Object.values(v.properties).map(resolve).find((p) => p.const !== undefined)?.const) || v.type || `kind ${i + 1}`;

// ---- building the form -------------------------------------------------------------------
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") e.textContent = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c) e.append(c);
  return e;
}

const label = (path) => path.map((p) => (typeof p === "number" ? `[${p + 1}]` : p)).join(" › ");
function commit(path, value, what) { apply([{ path, value }], `${what} ${label(path)}`, "form"); }
function commitStructure(path, value, what) { apply([{ path, value }], `${what} ${label(path)}`, "form-structure"); }

// a field's help: its own description; a referenced model's only for an enumeration (a
// shared model such as a quantity would repeat the same line under every field)
function help(s) {
  const own = s.description ?? (s.anyOf || s.oneOf || []).map((v) => v.description).find(Boolean);
  const text = own ?? (kindOf(s) === "enum" ? unwrap(s).description : null);
  return text ? el("div", { class: "help", text: text.split("\n")[0] }) : null;
}

function row(name, control, path, s, required, extra) {
  const id = `f${++uid}`;
  control.id = control.id || id;
  const remove = required ? null : el("button", { type: "button", title: `remove ${name}`, "aria-label": `remove ${label(path)}`,
    onclick: () => commitStructure(path, undefined, "remove"), text: "remove" });
  return el("div", { class: "form-field", "data-row": pkey(path) },
    el("label", { for: control.id, text: name, title: resolve(s).title || name }),
    el("div", {}, control, extra, remove, help(s), el("div", { class: "form-error", "aria-live": "polite" })));
}

function scalarInput(s, value, path) {
  const k = kindOf(s);
  const us = unwrap(s);
  const nullable = (resolve(s).anyOf || resolve(s).oneOf || []).some((v) => resolve(v).type === "null");
  if (k === "enum" || (k === "boolean" && nullable)) {
    const options = k === "boolean" ? [true, false] : (us.enum || [us.const]);
    const sel = el("select", { "data-path": pkey(path),
      onchange: (e) => commit(path, e.target.value === "" ? undefined : JSON.parse(e.target.value), "set") });
    if (nullable || value === undefined) sel.append(el("option", { value: "", text: "(default)" }));
    for (const o of options) sel.append(el("option", { value: JSON.stringify(o), text: String(o), selected: JSON.stringify(o) === JSON.stringify(value) }));
    return sel;
  }
  if (k === "boolean") {
    return el("input", { type: "checkbox", "data-path": pkey(path), checked: !!value, onchange: (e) => commit(path, e.target.checked, "set") });
  }
  const long = k === "string" && (/description|note|text|summary/i.test(String(path[path.length - 1])) || String(value ?? "").length > 60);
  const input = el(long ? "textarea" : "input", { "data-path": pkey(path), type: long ? undefined : "text",
    inputmode: k === "number" || k === "integer" ? "decimal" : undefined, autocomplete: "off" });
  input.value = value === undefined || value === null ? "" : String(value);
  input.dataset.committed = input.value;
  input.addEventListener("change", () => {
    input.dataset.committed = input.value;
    const v = k === "number" || k === "integer" ? parseTyped(input.value) : input.value;
    commit(path, v === "" && k !== "string" ? "" : v, "edit");
  });
  if (!long) input.addEventListener("keydown", (e) => { if (e.key === "Enter") input.dispatchEvent(new Event("change")); });
  return input;
}

// a value the schema leaves open (a `--set` assignment's value, say): one line of text,
// read as JSON when it is JSON (a number, a list, true) and as a string otherwise
function freeInput(value, path) {
  const input = el("input", { type: "text", "data-path": pkey(path), class: "free", autocomplete: "off" });
  input.value = typeof value === "string" ? value : JSON.stringify(value ?? null);
  input.dataset.committed = input.value;
  input.addEventListener("change", () => {
    input.dataset.committed = input.value;
    let v = input.value;
    try { v = JSON.parse(input.value); } catch (e) { /* text */ }
    commit(path, v, "edit");
  });
  input.addEventListener("keydown", (e) => { if (e.key === "Enter") input.dispatchEvent(new Event("change")); });
  return input;
}

function field(s, value, path, name, required) {
  const k = kindOf(s);
  if (isQuantity(s)) return quantity(s, value, path, name, required);
  if (k === "object" || k === "dict" || k === "array") return group(s, value, path, name, required);
  if (k === "union") return union(s, value, path, name, required);
  if (k === "any") {  // no structure from the schema: follow the value's own shape
    if (Array.isArray(value)) return group({ ...s, type: "array", items: {} }, value, path, name, required);
    if (value !== null && typeof value === "object") {
      return group({ ...s, type: "object", additionalProperties: {} }, value, path, name, required);
    }
    return row(name, freeInput(value, path), path, s, required);
  }
  return row(name, scalarInput(s, value, path), path, s, required);
}

// a number with a note and uncertainty: the value inline, the rest in a group
function quantity(s, value, path, name, required) {
  const us = unwrap(s);
  const q = value && typeof value === "object" ? value : { value };
  const input = scalarInput(us.properties.value, q.value, [...path, "value"]);
  const others = Object.keys(us.properties).filter((k) => k !== "value");
  const more = group({ ...us, properties: Object.fromEntries(others.map((k) => [k, us.properties[k]])), required: [] },
    q, path, "note and uncertainty", true, true);
  const r = row(name, input, path, s, required, null);
  r.dataset.qpath = pkey(path);
  r.querySelector(".form-error").before(more);
  return r;
}

function union(s, value, path, name, required) {
  const vs = nonNull(s);
  const i = variantOf(unwrap(s), value);
  const sel = el("select", { "aria-label": `${label(path)}: kind`, onchange: (e) => commitStructure(path, defaultFor(vs[+e.target.value]), "change kind of") });
  vs.forEach((v, j) => sel.append(el("option", { value: j, text: String(variantName(v, j)), selected: j === i })));
  const inner = field(vs[i], value, path, `${name} (${variantName(vs[i], i)})`, true);
  return row(name, sel, path, s, required, inner);
}

function summaryText(s, value, name) {
  const k = kindOf(s);
  if (k === "array") return `${name} (${(value || []).length})`;
  if (k === "dict") return `${name} (${Object.keys(value || {}).length})`;
  return name;
}

function group(s, value, path, name, required, inline = false) {
  const key = pkey(path) + (inline ? "+" : "");
  const details = el("details", { class: "form-group", "data-group": key, open: opened.has(key) });
  const sum = el("summary", {}, el("span", { text: summaryText(s, value, name) }), el("span", { class: "errcount" }));
  if (!required && !inline) {
    sum.append(el("span", { class: "form-actions" }, el("button", { type: "button", "aria-label": `remove ${label(path)}`,
      text: "remove", onclick: () => commitStructure(path, undefined, "remove") })));
  }
  const body = el("div", {}, el("div", { class: "form-error", "aria-live": "polite" }));
  details.append(sum, body);
  const fill = (mark) => {
    if (body.dataset.filled) return;
    body.dataset.filled = "1";
    body.append(groupBody(s, value, path, inline));
    if (mark) markErrors();
  };
  details.addEventListener("toggle", () => { if (details.open) { opened.add(key); fill(true); } else opened.delete(key); });
  if (details.open) fill(false);
  return details;
}

function groupBody(s, value, path, inline) {
  const k = kindOf(s);
  if (k === "array") return arrayBody(unwrap(s), value || [], path);
  if (k === "dict") return dictBody(unwrap(s), value || {}, path);
  return objectBody(unwrap(s), value || {}, path, inline);
}

function objectBody(s, value, path) {
  const div = el("div");
  const req = new Set(s.required || []);
  const absent = [];
  for (const [k, ps] of Object.entries(s.properties || {})) {
    if (value[k] === undefined && !req.has(k)) { absent.push(k); continue; }
    div.append(field(ps, value[k], [...path, k], k, req.has(k)));
  }
  if (absent.length) {
    const sel = el("select", { "aria-label": `add a field to ${label(path) || "the scenario"}` },
      el("option", { value: "", text: "add a field…" }), ...absent.map((k) => el("option", { value: k, text: k })));
    sel.addEventListener("change", () => {
      const k = sel.value;
      if (!k) return;
      opened.add(pkey([...path, k]));
      commitStructure([...path, k], defaultFor(s.properties[k]), "add");
    });
    div.append(el("div", { class: "form-actions" }, sel));
  }
  return div;
}

function itemName(item, i) {
  if (item && typeof item === "object" && !Array.isArray(item)) {
    const n = item.name ?? item.label ?? item.id ?? item.target;
    if (n !== undefined) return `${n}` + (item.id && item.name ? ` (${item.id})` : "");
  }
  return `${i + 1}`;
}

function arrayBody(s, items, path) {
  const div = el("div");
  const is = s.items || {};
  const scalar = !["object", "dict", "array", "union"].includes(kindOf(is)) || isQuantity(is);
  items.forEach((item, i) => {
    const move = (d) => {
      const next = clone(items);
      [next[i], next[i + d]] = [next[i + d], next[i]];
      commitStructure(path, next, "move");
    };
    const tools = el("span", { class: "form-actions" },
      i > 0 ? el("button", { type: "button", text: "↑", "aria-label": `move ${label([...path, i])} up`, onclick: () => move(-1) }) : null,
      i < items.length - 1 ? el("button", { type: "button", text: "↓", "aria-label": `move ${label([...path, i])} down`, onclick: () => move(1) }) : null,
      el("button", { type: "button", text: "remove", "aria-label": `remove ${label([...path, i])}`,
        onclick: () => commitStructure(path, items.filter((_, j) => j !== i), "remove from") }));
    const f = field(is, item, [...path, i], scalar ? `${i + 1}` : itemName(item, i), true);
    if (f.tagName === "DETAILS") f.querySelector("summary").append(tools); else f.querySelector(":scope > div > .form-error").before(tools);
    div.append(f);
  });
  div.append(el("div", { class: "form-actions" }, el("button", { type: "button", text: `add to ${path[path.length - 1] ?? "list"}`,
    onclick: () => { opened.add(pkey([...path, items.length])); commitStructure(path, [...clone(items), defaultFor(is, items)], "add to"); } })));
  return div;
}

function dictBody(s, value, path) {
  const div = el("div");
  // the value schema: additionalProperties, or (keys with a pattern) patternProperties
  const vs = (s.additionalProperties && typeof s.additionalProperties === "object" ? s.additionalProperties : null)
    || Object.values(s.patternProperties || {})[0] || {};
  for (const [k, v] of Object.entries(value)) {
    const f = field(vs, v, [...path, k], k, true);
    const rm = el("button", { type: "button", text: "remove", "aria-label": `remove ${label([...path, k])}`, onclick: () => commitStructure([...path, k], undefined, "remove") });
    if (f.tagName === "DETAILS") f.querySelector("summary").append(rm); else f.querySelector(":scope > div > .form-error").before(rm);
    div.append(f);
  }
  const keyIn = el("input", { type: "text", size: 14, placeholder: "new key", "aria-label": `new key in ${label(path)}` });
  const add = () => {
    const k = keyIn.value.trim();
    if (!k || k in value) { keyIn.classList.add("invalid"); return; }
    opened.add(pkey([...path, k]));
    commitStructure([...path, k], defaultFor(vs), "add");
  };
  keyIn.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); add(); } });
  div.append(el("div", { class: "form-actions" }, keyIn, el("button", { type: "button", text: "add", onclick: add })));
  return div;
}

// ---- rendering and errors -----------------------------------------------------------------
export function renderEditor() {
  if (!root || !state.data) return;
  const box = $("editor");
  const focus = document.activeElement && box.contains(document.activeElement) ? document.activeElement.dataset.path : null;
  const scroll = window.scrollY;
  box.replaceChildren(objectBody(resolve(root), state.data, []));
  if (focus) box.querySelector(`[data-path="${CSS.escape(focus)}"]`)?.focus();
  window.scrollTo({ top: scroll });
  markErrors();
}

function markErrors() {
  const box = $("editor");
  box.querySelectorAll(".invalid").forEach((e) => { e.classList.remove("invalid"); e.removeAttribute("aria-invalid"); });
  box.querySelectorAll(".form-error").forEach((e) => { e.textContent = ""; });
  box.querySelectorAll(".errcount").forEach((e) => { e.textContent = ""; });
  const counts = new Map();
  for (const err of state.errors) {
    if (!err.path) continue;
    const p = err.path;
    let target = null;
    for (let n = p.length; n >= 0 && !target; n--) {
      const k = pkey(p.slice(0, n));
      target = box.querySelector(`[data-path="${CSS.escape(k)}"]`) || box.querySelector(`[data-qpath="${CSS.escape(k)}"]`)
        || box.querySelector(`[data-row="${CSS.escape(k)}"]`);
      const g = target ? null : box.querySelector(`[data-group="${CSS.escape(k)}"]`);
      if (g && (!g.open || n < p.length)) { counts.set(g, (counts.get(g) || 0) + 1); break; }
      if (g) target = g;
    }
    if (!target) continue;
    const input = target.matches("input,select,textarea") ? target : target.querySelector("input,select,textarea");
    if (input) { input.classList.add("invalid"); input.setAttribute("aria-invalid", "true"); }
    const slot = target.matches("details") ? target.querySelector(":scope > div > .form-error")
      : target.closest(".form-field")?.querySelector(":scope > div > .form-error");
    if (slot) slot.textContent = (slot.textContent ? slot.textContent + "\n" : "") + err.text;
  }
  for (const [g, n] of counts) g.querySelector(".errcount").textContent = ` — ${n} problem${n > 1 ? "s" : ""} inside`;
}

on("errors", markErrors);
