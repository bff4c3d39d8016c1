// alviz's canvas: one plotly figure drawn with the plotly.js that the installed `plotly` package ships.
// No CDN, no network: the library's source arrives once per page from the kernel (the `_library` widget),
// and is evaluated from a blob URL, the way anywidget itself loads this module.

const LIB_KEY = "__alvizPlotly";

function loadPlotly(source) {
  if (!globalThis[LIB_KEY]) {
    globalThis[LIB_KEY] = (async () => {
      const before = globalThis.Plotly;  // plotly.min.js sets window.Plotly: give the page its own back
      const text = "const module = {exports: {}}; const exports = module.exports;\n" + source +
        "\nexport default module.exports;";
      const url = URL.createObjectURL(new Blob([text], {type: "text/javascript"}));
      try {
        const mod = await import(/* webpackIgnore: true */ url);
        const P = (mod.default && mod.default.newPlot) ? mod.default : globalThis.Plotly;
        return P;
      } finally {
        URL.revokeObjectURL(url);
        if (before !== undefined) globalThis.Plotly = before;
      }
    })();
  }
  return globalThis[LIB_KEY];
}

async function libraryFor(model) {
  if (globalThis[LIB_KEY]) return globalThis[LIB_KEY];
  const ref = model.get("_library") || "";
  const id = ref.startsWith("IPY_MODEL_") ? ref.slice(10) : ref;
  const lib = await model.widget_manager.get_model(id);
  return loadPlotly(lib.get("source"));
}

const TYPED = {
  float64: Float64Array, float32: Float32Array, int8: Int8Array, int16: Int16Array, int32: Int32Array,
  uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array,
};

function bytesOf(b, buffers) {
  if (typeof b === "number") b = buffers[b];
  if (b instanceof DataView) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return new Uint8Array(b);
}

async function inflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new TextDecoder().decode(await new Response(stream).arrayBuffer());
}

// numpy arrays travel as {"__nd__": dtype, "shape": [...], "b": DataView | buffer index};
// long text lists (hover texts) as {"__zjson__": n, "b": ...}: their JSON, zlib-compressed
async function decode(value, buffers) {
  if (Array.isArray(value)) return Promise.all(value.map(v => decode(v, buffers)));
  if (value === null || typeof value !== "object") return value;
  if (value instanceof DataView || ArrayBuffer.isView(value)) return value;
  if (value.__zjson__ !== undefined) return JSON.parse(await inflate(bytesOf(value.b, buffers)));
  if (value.__nd__ !== undefined) {
    const T = TYPED[value.__nd__] || Float64Array;
    const bytes = bytesOf(value.b, buffers);
    const flat = new T(bytes.slice().buffer);  // a copy: aligned, and plotly may keep it
    const shape = value.shape || [flat.length];
    if (shape.length <= 1) return flat;
    const [rows, cols] = shape;  // 2-D (a heatmap's z): a list of rows
    const out = [];
    for (let r = 0; r < rows; r++) out.push(Array.from(flat.subarray(r * cols, (r + 1) * cols)));
    return out;
  }
  const out = {};
  for (const k of Object.keys(value)) out[k] = await decode(value[k], buffers);
  return out;
}

// set `obj[a][b]...` from a plotly attribute string "marker.color" (objects made on the way)
function setPath(obj, path, value) {
  const parts = path.split(".");
  let o = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    if (o[parts[i]] === null || typeof o[parts[i]] !== "object") o[parts[i]] = {};
    o = o[parts[i]];
  }
  o[parts[parts.length - 1]] = value;
}

function applyPatch(fig, patch) {
  for (const [k, props] of Object.entries(patch.traces || {})) {
    const t = fig.data[Number(k)];
    if (!t) continue;
    for (const [path, v] of Object.entries(props)) setPath(t, path, v);
  }
  for (const [path, v] of Object.entries(patch.layout || {})) setPath(fig.layout, path, v);
}

function pointsByTrace(event) {
  const by = new Map();
  for (const p of (event && event.points) || []) {
    const k = p.curveNumber;
    const i = p.pointIndex !== undefined ? p.pointIndex : p.pointNumber;
    if (k === undefined || i === undefined || Array.isArray(i)) continue;
    if (!by.has(k)) by.set(k, []);
    by.get(k).push(i);
  }
  return [...by.entries()].map(([trace, points]) => ({trace, points}));
}

function clone(x) {
  return typeof structuredClone === "function" ? structuredClone(x) : JSON.parse(JSON.stringify(x));
}

async function render({model, el}) {
  el.classList.add("alviz-canvas");
  const gd = document.createElement("div");
  gd.className = "alviz-canvas-plot";
  el.appendChild(gd);
  const Plotly = await libraryFor(model);
  let figure = await decode(model.get("_figure") || {data: [], layout: {}}, []);
  let drawing = Promise.resolve();
  const config = () => Object.assign({displaylogo: false, responsive: false}, model.get("config") || {});
  const queue = fn => { drawing = drawing.then(fn).catch(err => console.warn("alviz canvas:", err)); return drawing; };
  const drawAll = () => queue(async () => {
    await Plotly.react(gd, clone(figure.data || []), clone(figure.layout || {}), config());
    el.dataset.rendered = String((Number(el.dataset.rendered) || 0) + 1);
  });
  // points glide: positions (and axis ranges) move by Plotly.animate; everything else the patch changed
  // (colours, sizes, titles) is then drawn in one react, to the figure the model now holds
  const ANIMATED = new Set(["x", "y"]);
  let pending = null;  // the decoded patch an animation moves to
  const animate = duration => queue(async () => {
    const patch = pending || {};
    const traces = [], data = [];
    for (const [k, props] of Object.entries(patch.traces || {})) {
      const d = {};
      for (const [path, v] of Object.entries(props)) if (ANIMATED.has(path)) d[path] = v;
      if (Object.keys(d).length) { traces.push(Number(k)); data.push(d); }
    }
    const layout = {};
    for (const [path, v] of Object.entries(patch.layout || {})) {
      if (/^[xy]axis[0-9]*\.range$/.test(path)) setPath(layout, path, v);
    }
    // plotly.js fails inside Plotly.animate while a box/lasso selection is shown: jump then
    const selecting = (gd.data || []).some(t => t.selectedpoints) || ((gd.layout || {}).selections || []).length;
    if (!selecting && (traces.length || Object.keys(layout).length)) {
      await Plotly.animate(gd, {data, traces, layout}, {
        transition: {duration, easing: "cubic-in-out"}, frame: {duration, redraw: false}, mode: "immediate",
      });
    }
    await Plotly.react(gd, clone(figure.data || []), clone(figure.layout || {}), config());
    el.dataset.rendered = String((Number(el.dataset.rendered) || 0) + 1);
  });

  await drawAll();
  const send = (kind, payload) => model.send(Object.assign({event: kind}, payload));
  gd.on("plotly_click", e => pointsByTrace(e).forEach(p => send("click", p)));
  gd.on("plotly_hover", e => pointsByTrace(e).forEach(p => send("hover", p)));
  gd.on("plotly_selected", e => {
    const groups = pointsByTrace(e);
    if (!groups.length) send("select", {trace: -1, points: []});
    groups.forEach(p => send("select", p));
  });
  gd.on("plotly_deselect", () => send("select", {trace: -1, points: []}));
  gd.on("plotly_relayout", e => {
    const safe = {};
    for (const [k, v] of Object.entries(e || {})) {
      if (v === null || ["number", "string", "boolean"].includes(typeof v) || Array.isArray(v)) safe[k] = v;
    }
    send("relayout", {relayout: safe});
  });

  const current = async () => { figure = await decode(model.get("_figure") || {data: [], layout: {}}, []); };
  const onFigure = () => { queue(current); drawAll(); };
  const onConfig = () => drawAll();
  const onMsg = (msg, buffers) => {  // initialize() already applied the patch to the model's figure
    if (!msg || msg.type !== "patch") return;
    queue(current);
    if (msg.animate) {
      const patch = decode(msg.patch, buffers || []);
      queue(async () => { pending = await patch; });
      animate(msg.duration || 600);
    } else {
      drawAll();
    }
  };
  model.on("change:_figure", onFigure);
  model.on("change:config", onConfig);
  model.on("msg:custom", onMsg);
  return () => {
    model.off("change:_figure", onFigure);
    model.off("change:config", onConfig);
    model.off("msg:custom", onMsg);
    try { Plotly.purge(gd); } catch (e) { /* already gone */ }
  };
}

// once per model (not per view): a patch changes the model's own copy of the figure, so that a view
// made later (the same widget displayed again) draws the patched figure, as Python holds it
function initialize({model}) {
  model.on("msg:custom", (msg, buffers) => {
    if (!msg || msg.type !== "patch") return;
    const fig = model.get("_figure");
    if (fig) applyPatch(fig, resolve(msg.patch, buffers || []));
  });
}

// the patch with every buffer index replaced by its buffer (the form the synced state has)
function resolve(value, buffers) {
  if (Array.isArray(value)) return value.map(v => resolve(v, buffers));
  if (value === null || typeof value !== "object") return value;
  if (value.__nd__ !== undefined || value.__zjson__ !== undefined) {
    return Object.assign({}, value, {b: typeof value.b === "number" ? buffers[value.b] : value.b});
  }
  const out = {};
  for (const k of Object.keys(value)) out[k] = resolve(value[k], buffers);
  return out;
}

export default {initialize, render};
