// Descent Lab's charts in the browser (the component of ui/plot.py loads this module once per page).
//
// A chart arrives as a JSON template whose large arrays sit in blobs (figures/packed.py). A blob's
// URL names its bytes by their hash, so each blob is fetched once and kept here: a slider move that
// changes one run costs the template and that run's arrays. `render` waits for the blobs its template
// names, themes the figure from Streamlit's CSS variables and draws it with plotly.js (the bundle the
// plotly package ships, loaded once and cached by the browser). A trajectory map (opts.map) also
// animates here: a "now" marker per run follows the drawn path at display rate
// (requestAnimationFrame), with Play/Pause, a step scrubber and a speed choice, and reports back
// only a click on the map (a new start) and the scrubbed step.

const STORE = (window.__descentLab ??= { blobs: new Map(), clock: 0 });
const KEEP_BLOBS = 64; // blobs kept once no chart asked for them lately: a page shows about 20
const FETCH_TRIES = 3;
const PLAY_SECONDS = 6; // one pass over the whole run at speed 1×
const SPEEDS = [0.25, 0.5, 1, 2, 4];
const DRAG_PX = 5; // a press that moved further is a zoom, not a click

// ---------------------------------------------------------------- blobs
async function fetchBlob(url) {
  // A newer run of the page may already have replaced this blob on the server: retry briefly, and the
  // chart that asked is then usually superseded by the newer one anyway.
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) throw new Error(`${response.status} for ${url}`);
      return decode(new Uint8Array(await response.arrayBuffer())).arrays;
    } catch (error) {
      if (attempt >= FETCH_TRIES) throw error;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

function blob(id, url) {
  let e = STORE.blobs.get(id);
  if (!e) {
    e = { promise: fetchBlob(url), used: 0 };
    e.promise.catch(() => STORE.blobs.delete(id)); // asked again, it is fetched again
    STORE.blobs.set(id, e);
    evict();
  }
  e.used = ++STORE.clock;
  return e.promise;
}

function evict() {
  if (STORE.blobs.size <= KEEP_BLOBS) return;
  const oldest = [...STORE.blobs.entries()].sort((a, b) => a[1].used - b[1].used);
  for (const [id] of oldest.slice(0, STORE.blobs.size - KEEP_BLOBS)) STORE.blobs.delete(id);
}

function decode(bytes) {
  // Copied: the array views below need an aligned buffer of their own.
  const buffer = bytes.slice().buffer;
  const length = new DataView(buffer).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, length)));
  const base = 4 + length + ((8 - ((4 + length) % 8)) % 8);
  const arrays = {};
  for (const [name, h] of Object.entries(header.arrays)) {
    if (h.columns) arrays[name] = rows(h.columns.map((c) => column(buffer, base, c, header.id)), h.shape[0]);
    else if (h.shape) arrays[name] = grid(column(buffer, base, h, header.id), h.shape);
    else arrays[name] = column(buffer, base, h, header.id);
  }
  return { id: header.id, arrays };
}

function column(buffer, base, h, id) {
  const at = base + h.offset;
  if (h.type === "f4") return new Float32Array(buffer, at, h.length);
  if (h.type === "f8") return new Float64Array(buffer, at, h.length);
  if (h.type === "i4") return new Int32Array(buffer, at, h.length);
  if (h.type === "d2") {
    const gaps = new Uint16Array(buffer, at, h.length);
    const values = new Float64Array(h.length + 1);
    values[0] = h.start;
    for (let i = 0; i < gaps.length; i++) values[i + 1] = values[i] + gaps[i];
    return values;
  }
  throw new Error(`blob ${id}: unknown array type ${h.type}`);
}

function grid(flat, [n, k]) {
  // A contour's z: one typed row per row.
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = flat.subarray(i * k, (i + 1) * k);
  return out;
}

function rows(columns, n) {
  // customdata and the like: one small array per row, as plotly.js reads them.
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = columns.map((c) => c[i]);
  return out;
}

// ---------------------------------------------------------------- plotly.js
let plotlyLoading = null;
function loadPlotly(url) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  plotlyLoading ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = url;
    script.async = true;
    script.onload = () => resolve(window.Plotly);
    script.onerror = () => {
      plotlyLoading = null;
      reject(new Error(`plotly.js did not load from ${url}`));
    };
    document.head.appendChild(script);
  });
  return plotlyLoading;
}

// ---------------------------------------------------------------- a figure from its template
function refs(tree, out) {
  if (Array.isArray(tree)) tree.forEach((v) => refs(v, out));
  else if (tree && typeof tree === "object") {
    if (tree.$ref) out.add(tree.$ref[0]);
    else Object.values(tree).forEach((v) => refs(v, out));
  }
  return out;
}

function fill(tree, arrays, images) {
  if (Array.isArray(tree)) return tree.map((v) => fill(v, arrays, images));
  if (tree && typeof tree === "object") {
    if (tree.$ref) return arrays.get(tree.$ref[0])[tree.$ref[1]];
    if ("$img" in tree) return images[tree.$img];
    const out = {};
    for (const [k, v] of Object.entries(tree)) out[k] = fill(v, arrays, images);
    return out;
  }
  return tree;
}

async function materialize(payload) {
  const ids = [...refs(payload.spec, new Set())];
  const found = await Promise.all(ids.map((id) => blob(id, payload.blobs[id])));
  return fill(payload.spec, new Map(ids.map((id, k) => [id, found[k]])), payload.images);
}

// ---------------------------------------------------------------- theme
function luminance(color) {
  const probe = document.createElement("span");
  probe.style.color = color;
  document.body.appendChild(probe);
  const [r, g, b] = getComputedStyle(probe).color.match(/[\d.]+/g).map(Number);
  probe.remove();
  const lin = (c) => ((c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

function theme(el) {
  const css = getComputedStyle(el);
  const v = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  const background = v("--st-background-color", "#ffffff");
  const dark = luminance(background) < 0.35;
  return {
    text: v("--st-text-color", dark ? "#fafafa" : "#31333f"),
    font: v("--st-font", "sans-serif"),
    grid: dark ? "rgba(250,250,250,0.16)" : "rgba(49,51,63,0.14)",
    line: dark ? "rgba(250,250,250,0.4)" : "rgba(49,51,63,0.4)",
    panel: dark ? "rgba(14,17,23,0.7)" : "rgba(255,255,255,0.75)",
    dark,
  };
}

function themed(layout, t, opts) {
  const size = opts.present ? 16 : 12;
  const out = { ...layout };
  out.font = { family: t.font, color: t.text, size, ...(layout.font || {}) };
  out.paper_bgcolor = "rgba(0,0,0,0)";
  out.plot_bgcolor = "rgba(0,0,0,0)";
  for (const key of Object.keys(out)) {
    if (!/^[xy]axis\d*$/.test(key)) continue;
    const axis = out[key] || {};
    out[key] = {
      gridcolor: t.grid, linecolor: t.line, zerolinecolor: t.line, tickcolor: t.line, automargin: true, ...axis,
      tickfont: { color: t.text, ...(axis.tickfont || {}) },
      title: typeof axis.title === "object" ? { ...axis.title, font: { color: t.text, ...(axis.title.font || {}) } } : axis.title,
    };
  }
  out.legend = { bgcolor: t.panel, ...(layout.legend || {}), font: { color: t.text, ...((layout.legend || {}).font || {}) } };
  out.annotations = (layout.annotations || []).map((a) => ({ ...a, font: { color: t.text, ...(a.font || {}) } }));
  out.hoverlabel = { font: { family: t.font }, ...(layout.hoverlabel || {}) };
  if (opts.height) out.height = opts.height;
  return out;
}

// ---------------------------------------------------------------- titles that fit a narrow chart
// A subplot's title is an annotation one line wide, centred over its plot area; on a phone it ran
// past the chart's edges. A title that does not fit the room around its plot is centred on the
// whole chart instead; if it still does not fit it shrinks, down to MIN_FONT, and then breaks at
// spaces into as few lines as fit, its foot kept above its plot.
const MIN_FONT = 10;

function breakLines(words, fits) {
  const lines = [];
  let line = "";
  for (const word of words) {
    if (line && !fits(line + " " + word)) {
      lines.push(line);
      line = word;
    } else line = line ? line + " " + word : word;
  }
  if (line) lines.push(line);
  return lines;
}

// place(a): {room, x}, the width a title may take and the paper x it is then centred at;
// measure(text, size): the text's width in pixels at that font size
export function fitTitles(annotations, size, place, measure) {
  return annotations.map((a) => {
    const text = String(a.text || "");
    if (!text || text.includes("<br>") || (a.xref || "paper") !== "paper") return a;
    const fontSize = (a.font && a.font.size) || size;
    const { room, x } = place(a);
    const wide = measure(text, fontSize);
    if (!(room > 0)) return a;
    if (wide <= room) return x === a.x ? a : { ...a, x, xanchor: "center" };
    const shrunk = Math.max(MIN_FONT, Math.min(fontSize, Math.floor((fontSize * room) / wide)));
    const lines = breakLines(text.split(" "), (line) => measure(line, shrunk) <= room);
    const up = (lines.length - 1) * shrunk * 1.3;
    return { ...a, x, xanchor: "center", text: lines.join("<br>"), yshift: (a.yshift || 0) + up,
             font: { ...(a.font || {}), size: shrunk } };
  });
}

function titlePlace(view, a) {
  const width = view.root.clientWidth;
  const size = view.gd._fullLayout && view.gd._fullLayout._size; // the plot area, once drawn
  const x = typeof a.x === "number" ? a.x : 0.5;
  if (!size || !(size.w > 0)) return { room: width, x };
  const centre = size.l + x * size.w;
  const around = 2 * Math.min(centre, width - centre) - 8;
  return { room: around, x, whole: { room: width - 8, x: (width / 2 - size.l) / size.w } };
}

let canvas = null;
function measurer(family) {
  canvas ??= document.createElement("canvas");
  const ctx = canvas.getContext("2d");
  return (text, size) => {
    ctx.font = `${size}px ${family}`;
    return ctx.measureText(text.replace(/<[^>]*>/g, "")).width;
  };
}

function fitted(view, annotations, size) {
  const measure = measurer(view.family);
  // the room around the plot first; a title that does not fit there is placed on the whole chart
  return fitTitles(annotations, size, (a) => {
    const p = titlePlace(view, a);
    return p.whole && measure(String(a.text || ""), (a.font && a.font.size) || size) > p.room ? p.whole : p;
  }, measure);
}

function refit(view) {
  if (!view.titles || !window.Plotly || !view.gd.layout) return null;
  const annotations = fitted(view, view.titles, view.gd.layout.font.size);
  if (JSON.stringify(annotations) === JSON.stringify(view.gd.layout.annotations)) return null;
  return window.Plotly.relayout(view.gd, { annotations });
}

function thicken(data, opts) {
  if (!opts.present) return data;
  return data.map((trace) => {
    const out = { ...trace };
    if (trace.line && trace.line.width) out.line = { ...trace.line, width: trace.line.width * 1.8 };
    if (trace.marker && typeof trace.marker.size === "number") out.marker = { ...trace.marker, size: trace.marker.size * 1.3 };
    return out;
  });
}

// ---------------------------------------------------------------- a chart
const STYLE = `
.dl-chart { width: 100%; }
.dl-controls { display: flex; align-items: center; flex-wrap: wrap; gap: 0.5rem 0.75rem; margin: 0.25rem 0 0.5rem;
  font-family: var(--st-font); color: var(--st-text-color); font-size: 0.9rem; }
.dl-controls button, .dl-controls select { font: inherit; color: inherit; background: var(--st-secondary-background-color);
  border: 1px solid rgba(128, 132, 149, 0.4); border-radius: 0.5rem; padding: 0.25rem 0.75rem; cursor: pointer; }
.dl-controls button { min-width: 7.5em; }
.dl-controls input[type="range"] { flex: 1 1 10rem; min-width: 8rem; accent-color: var(--st-primary-color); }
.dl-step { font-variant-numeric: tabular-nums; white-space: nowrap; }
.dl-error { color: var(--st-text-color); font-family: var(--st-font); }
`;

function addStyle() {
  if (document.getElementById("descent-lab-style")) return;
  const style = document.createElement("style");
  style.id = "descent-lab-style";
  style.textContent = STYLE;
  document.head.appendChild(style);
}

export function render(component) {
  addStyle();
  const { data, parentElement } = component;
  const payload = JSON.parse(new TextDecoder().decode(data));
  const view = (parentElement.__descent ??= newView(parentElement));
  view.send = component.setTriggerValue;
  const token = ++view.token;
  draw(view, payload, token).catch((error) => {
    view.gd.textContent = "";
    const note = document.createElement("p");
    note.className = "dl-error";
    note.textContent = `${(payload.opts.labels || {}).failed || "The chart could not be drawn"}: ${error.message}`;
    view.gd.appendChild(note);
  });
  return () => destroy(view);
}

function newView(root) {
  root.textContent = "";
  const gd = document.createElement("div");
  gd.className = "dl-chart";
  root.appendChild(gd);
  const view = { root, gd, token: 0, anim: null, controls: null, raf: 0, send: null, click: false };
  gd._descent = view; // the browser tests read the animation's state here
  gd.addEventListener("mousedown", (e) => (view.down = [e.clientX, e.clientY]), true);
  gd.addEventListener("click", (e) => clicked(view, e), true);
  view.refit = () => refit(view); // a phone turned, a window resized: titles fitted to the new width
  window.addEventListener("resize", view.refit);
  return view;
}

function destroy(view) {
  cancelAnimationFrame(view.raf);
  window.removeEventListener("resize", view.refit);
  if (window.Plotly) window.Plotly.purge(view.gd);
  view.root.__descent = null;
}

async function draw(view, payload, token) {
  const { opts } = payload;
  // plotly.js (the first time) and the blobs at once: a first visit waits for the slower of the two only
  const [Plotly, figure] = await Promise.all([loadPlotly(opts.plotly), materialize(payload)]);
  if (token !== view.token) return;
  const data = thicken(figure.data, opts);
  const layout = themed(figure.layout, theme(view.root), opts);
  view.titles = layout.annotations;
  view.family = layout.font.family;
  layout.annotations = fitted(view, view.titles, layout.font.size);
  const map = opts.map || null;
  view.click = Boolean(map && map.click);
  view.opts = opts;
  const config = { displaylogo: false, responsive: true, ...(opts.config || {}) };
  if (view.click) config.doubleClick = false; // a click sets the start; the modebar resets the zoom
  view.gd.classList.add("dl-chart");
  await Plotly.react(view.gd, data, layout, config);
  if (token !== view.token) return;
  await refit(view); // now that the plot area's place is known
  if (!view.hooked) {
    view.hooked = true; // a zoom, a resize or a legend click redraws the markers at their start
    view.gd.on("plotly_afterplot", () => view.anim && place(view, true));
  }
  if (map && map.runs.length) animate(view, map, data);
  else stopAnimation(view);
  view.gd.dataset.drawn = String(token);
}

// ---------------------------------------------------------------- clicks on a map
function clicked(view, e) {
  if (!view.click || !view.send || !view.gd._fullLayout) return;
  if (e.target.closest(".modebar-container, .legend")) return;
  if (view.down && Math.hypot(e.clientX - view.down[0], e.clientY - view.down[1]) > DRAG_PX) return;
  const { xaxis, yaxis } = view.gd._fullLayout;
  const box = view.gd.getBoundingClientRect();
  const px = e.clientX - box.left - xaxis._offset;
  const py = e.clientY - box.top - yaxis._offset;
  if (px < 0 || px > xaxis._length || py < 0 || py > yaxis._length) return;
  view.send("click", { x: xaxis.p2l(px), y: yaxis.p2l(py) });
}

// ---------------------------------------------------------------- the animation
function runArrays(trace, nowIndex) {
  const steps = new Float64Array(trace.customdata.length);
  for (let i = 0; i < steps.length; i++) steps[i] = trace.customdata[i][0];
  return { now: nowIndex, steps, x: trace.x, y: trace.y };
}

function animate(view, map, data) {
  const before = view.anim;
  const runs = map.runs.filter((r) => data[r.path].x.length).map((r) => runArrays(data[r.path], r.now));
  const longest = runs.reduce((best, r) => (!best || r.steps[r.steps.length - 1] > best.steps[best.steps.length - 1] ||
    (r.steps[r.steps.length - 1] === best.steps[best.steps.length - 1] && r.steps.length > best.steps.length) ? r : best), null);
  const timeline = longest ? longest.steps : new Float64Array([0]);
  const anim = { runs, timeline, u: 0, playing: false, speed: before ? before.speed : 1, last: 0, shown: null,
    report: Boolean(map.step), labels: map.labels, total: map.total };
  if (before) anim.u = indexOfStep(timeline, stepAt(before.timeline, before.u)); // stay at the same step
  view.anim = anim;
  controls(view);
  place(view, true);
  if (before && before.playing) play(view);
}

function stopAnimation(view) {
  // A chart without runs to animate (the Playground's animation switched off): no controls.
  cancelAnimationFrame(view.raf);
  view.anim = null;
  if (view.controls) view.controls.box.remove();
  view.controls = null;
}

function indexOfStep(timeline, s) {
  let lo = 0, hi = timeline.length - 1;
  if (s >= timeline[hi]) return hi;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (timeline[mid] <= s) lo = mid; else hi = mid;
  }
  return lo + (s - timeline[lo]) / (timeline[hi] - timeline[lo] || 1);
}

function stepAt(timeline, u) {
  const i = Math.min(Math.floor(u), timeline.length - 1);
  if (i >= timeline.length - 1) return timeline[timeline.length - 1];
  return timeline[i] + (u - i) * (timeline[i + 1] - timeline[i]);
}

function position(run, s) {
  // On the drawn path: between the kept records at or around step s, in proportion to the steps.
  const f = indexOfStep(run.steps, s);
  const i = Math.floor(f), t = f - i;
  if (t === 0 || i >= run.x.length - 1) return [run.x[i], run.y[i]];
  return [run.x[i] + t * (run.x[i + 1] - run.x[i]), run.y[i] + t * (run.y[i + 1] - run.y[i])];
}

function place(view, force) {
  // The markers are moved in the SVG that plotly.js drew (a restyle per frame costs a full redraw,
  // over 100 ms with a few long paths); plotly_afterplot puts them back after any redraw of plotly's own.
  const a = view.anim;
  if (!a || !a.runs.length) return;
  const s = stepAt(a.timeline, a.u);
  a.positions = a.runs.map((r) => position(r, s));
  const key = a.positions.map((p) => `${p[0]},${p[1]}`).join(";");
  if (force || key !== a.shown) {
    a.shown = key;
    const { xaxis, yaxis } = view.gd._fullLayout;
    a.runs.forEach((r, k) => {
      const trace = view.gd.calcdata && view.gd.calcdata[r.now];
      const group = trace && trace[0] && trace[0].node3;
      const point = group && group.node() && group.node().querySelector("path.point");
      if (point) point.setAttribute("transform", `translate(${xaxis.c2p(a.positions[k][0])},${yaxis.c2p(a.positions[k][1])})`);
    });
  }
  showStep(view, s);
}

function tick(view, now) {
  const a = view.anim;
  if (!a || !a.playing) return;
  const seconds = Math.min(0.1, Math.max(0, (now - a.last) / 1000));
  a.last = now;
  const end = a.timeline.length - 1;
  a.u = Math.min(end, a.u + (seconds * a.speed * end) / PLAY_SECONDS);
  if (a.u >= end) a.playing = false;
  place(view, false);
  if (a.playing) view.raf = requestAnimationFrame((t) => tick(view, t));
  else pause(view);
}

function play(view) {
  const a = view.anim;
  if (!a || a.timeline.length < 2) return;
  if (a.u >= a.timeline.length - 1) a.u = 0;
  a.playing = true;
  a.last = performance.now();
  cancelAnimationFrame(view.raf);
  view.raf = requestAnimationFrame((t) => tick(view, t));
  showButton(view);
}

function pause(view, report) {
  const a = view.anim;
  if (!a) return;
  a.playing = false;
  cancelAnimationFrame(view.raf);
  showButton(view);
  if (report) reportStep(view);
}

function reportStep(view) {
  const a = view.anim;
  a.u = Math.round(a.u); // a recorded step
  place(view, false);
  if (a.report && view.send) view.send("step", Math.round(stepAt(a.timeline, a.u)));
}

// ---------------------------------------------------------------- the controls under a map
function format(n) {
  return Math.round(n).toLocaleString("en-US");
}

function controls(view) {
  const a = view.anim;
  let c = view.controls;
  if (!c) {
    c = view.controls = {};
    c.box = document.createElement("div");
    c.box.className = "dl-controls";
    c.play = document.createElement("button");
    c.play.type = "button";
    c.play.className = "dl-play";
    c.play.addEventListener("click", () => (view.anim.playing ? pause(view, true) : play(view)));
    c.scrub = document.createElement("input");
    c.scrub.type = "range";
    c.scrub.className = "dl-scrub";
    c.scrub.min = "0";
    c.scrub.step = "any";
    c.scrub.addEventListener("input", () => {
      pause(view, false);
      view.anim.u = Number(c.scrub.value);
      place(view, false);
    });
    c.scrub.addEventListener("change", () => reportStep(view));
    c.step = document.createElement("span");
    c.step.className = "dl-step";
    c.speedLabel = document.createElement("label");
    c.speed = document.createElement("select");
    c.speed.className = "dl-speed";
    for (const s of SPEEDS) c.speed.add(new Option(`${s}×`, String(s)));
    c.speed.addEventListener("change", () => (view.anim.speed = Number(c.speed.value)));
    c.speedText = document.createTextNode("");
    c.speedLabel.append(c.speedText, " ", c.speed);
    c.box.append(c.play, c.scrub, c.step, c.speedLabel);
    view.root.appendChild(c.box);
  }
  c.scrub.max = String(Math.max(0, a.timeline.length - 1));
  c.scrub.disabled = a.timeline.length < 2;
  c.play.disabled = a.timeline.length < 2;
  c.scrub.setAttribute("aria-label", a.labels.scrub);
  c.speedText.textContent = a.labels.speed;
  c.speed.value = String(a.speed);
  showButton(view);
}

function showButton(view) {
  const c = view.controls, a = view.anim;
  if (!c || !a) return;
  c.play.textContent = a.playing ? `❚❚ ${a.labels.pause}` : `▶ ${a.labels.play}`;
}

function showStep(view, s) {
  const c = view.controls, a = view.anim;
  if (!c) return;
  c.scrub.value = String(a.u);
  c.step.textContent = a.labels.step.replace("{step}", format(s)).replace("{total}", format(a.total));
}
