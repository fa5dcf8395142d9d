// tinygrad_edu playground — the page. Plain JavaScript, no libraries, nothing from the internet.
// The server trains (in the tinygrad_edu engine); this page sends settings and button presses,
// polls the latest snapshot, and draws it: decision boundary, loss curves, network, and in
// backprop mode the computation graph and its reverse adjoint trace, one row per Step.

const $ = (id) => document.getElementById(id);
const SVG_NS = "http://www.w3.org/2000/svg";
const CLASS_COLORS = [[232, 131, 58], [47, 111, 179], [63, 155, 79], [142, 84, 183], [192, 57, 43]];
const SETTINGS_KEY = "tinygrad-edu-playground/settings";

// ---------------------------------------------------------------- talking to the server
class ApiError extends Error {
  constructor(status, message, field) {
    super(message);
    this.status = status;
    this.field = field;
  }
}

async function api(method, path, body) {
  const options = { method, headers: {} };
  if (method === "POST") {   // always JSON, even when there is nothing to say
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body === undefined ? {} : body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch (err) {
    throw new ApiError(0, "cannot reach the playground server: is it still running?");
  }
  let data = null;
  try {
    data = await response.json();
  } catch (err) {
    data = null;
  }
  if (!response.ok) {
    throw new ApiError(response.status, (data && data.error) || response.statusText,
                       data && data.field);
  }
  setConnection(true);
  return data;
}

function setConnection(ok) {
  const el = $("connection");
  el.textContent = ok ? "connected to 127.0.0.1" : "server not reachable";
  el.classList.toggle("lost", !ok);
}

// ---------------------------------------------------------------- messages
function showMessage(text, kind = "error") {
  $("message-text").textContent = text;
  $("message").classList.toggle("info", kind === "info");
  $("message").hidden = false;
}

function hideMessage() {
  $("message").hidden = true;
}

// ---------------------------------------------------------------- number formatting
function fmt(x, digits = 4) {
  if (x === null || x === undefined) return "–";
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(2);
  return x.toFixed(digits);
}

function pct(x) {
  return x === null || x === undefined ? "–" : (100 * x).toFixed(1) + " %";
}

// ---------------------------------------------------------------- state of this tab
const app = {
  options: null,
  session: null,        // this tab's session id (each page load gets its own)
  settings: null,       // the settings the server accepted
  version: -1,
  runId: null,
  points: null,
  state: null,
  polling: false,
  pendingSettings: null,
  sendingSettings: false,
};

// ---------------------------------------------------------------- the settings form
const SELECTS = ["dataset", "activation", "output", "optimizer", "decay", "regularization"];
const NUMBERS = ["samples", "classes", "lr", "decay_rate", "reg_strength", "batch_size", "seed"];
const RANGES = ["noise", "val_fraction"];

function addOption(select, value, text, title = "") {
  const option = document.createElement("option");
  option.value = value;
  option.textContent = text;
  option.title = title;
  select.append(option);
}

function buildForm() {
  const opts = app.options;
  for (const field of SELECTS) {
    for (const choice of opts.choices[field]) {
      addOption($(field), choice, opts.labels[field][choice], opts.descriptions[field][choice]);
    }
  }
  const limits = opts.limits;
  const setRange = (id, [lo, hi]) => { $(id).min = lo; $(id).max = hi; };
  setRange("samples", limits.samples);
  setRange("noise", limits.noise);
  setRange("classes", limits.classes);
  setRange("val_fraction", limits.val_fraction);
  setRange("layers", limits.hidden_layers);
  setRange("batch_size", limits.batch_size);
  setRange("seed", limits.seed);
  $("lr").min = 0;
  $("lr").max = limits.lr[1];
  $("settings-form").addEventListener("change", onFormChange);
  for (const id of RANGES) $(id).addEventListener("input", updateOutputs);
  $("layers-minus").addEventListener("click", () => changeLayers(-1));
  $("layers-plus").addEventListener("click", () => changeLayers(+1));
  $("layers").addEventListener("change", () => renderWidths(readLayerCount()));
}

function fillForm(s) {
  for (const field of SELECTS) $(field).value = s[field];
  for (const field of NUMBERS) $(field).value = s[field];
  for (const field of RANGES) $(field).value = s[field];
  $("layers").value = s.hidden.length;
  renderWidths(s.hidden.length, s.hidden);
  updateOutputs();
}

function updateOutputs() {
  $("noise-out").textContent = Number($("noise").value).toFixed(2);
  $("val_fraction-out").textContent = Math.round(100 * $("val_fraction").value) + " %";
  const multi = app.options.multiclass.includes($("dataset").value);
  $("classes").disabled = !multi;
  $("classes").title = multi ? "" : "this data set has two classes";
  $("decay_rate").disabled = $("decay").value === "none";
  $("reg_strength").disabled = $("regularization").value === "none";
}

function readLayerCount() {
  const n = Number($("layers").value);
  return Number.isInteger(n) ? n : NaN;
}

function currentWidths() {
  return [...$("widths").querySelectorAll("input")].map((el) => el.value);
}

function renderWidths(count, widths) {
  const box = $("widths");
  const old = widths || currentWidths();
  box.replaceChildren();
  const shown = Number.isInteger(count) ? Math.max(0, Math.min(count, 12)) : 0;
  if (shown === 0) {
    const note = document.createElement("span");
    note.className = "small";
    note.textContent = "none: a linear model";
    box.append(note);
  }
  for (let i = 0; i < shown; i++) {
    const input = document.createElement("input");
    input.type = "number";
    input.min = app.options.limits.width[0];
    input.max = app.options.limits.width[1];
    input.value = old[i] !== undefined ? old[i] : (old.length ? old[old.length - 1] : 4);
    input.setAttribute("aria-label", `neurons in hidden layer ${i + 1}`);
    input.dataset.layer = i;
    box.append(input);
  }
}

function changeLayers(delta) {
  const n = readLayerCount();
  const next = (Number.isInteger(n) ? n : 0) + delta;
  $("layers").value = Math.max(0, next);
  renderWidths(Math.max(0, next));
  onFormChange();
}

function asNumber(text) {
  // what the user typed, as a number when it is one; otherwise as typed, so that the
  // server's message can say what was wrong with it
  if (typeof text === "string" && text.trim() !== "" && Number.isFinite(Number(text))) {
    return Number(text);
  }
  return text;
}

function readForm() {
  const s = {};
  for (const field of SELECTS) s[field] = $(field).value;
  for (const field of NUMBERS) s[field] = asNumber($(field).value);
  for (const field of RANGES) s[field] = asNumber($(field).value);
  const count = readLayerCount();
  const widths = currentWidths().map(asNumber);
  if (Number.isInteger(count) && count > widths.length) {
    while (widths.length < count) widths.push(widths.length ? widths[widths.length - 1] : 4);
  }
  s.hidden = Number.isInteger(count) && count >= 0 ? widths.slice(0, count) : $("layers").value;
  return s;
}

function markInvalid(field) {
  document.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  if (!field) return;
  const targets = field === "hidden"
    ? [$("layers"), ...$("widths").querySelectorAll("input")]
    : [$(field)].filter(Boolean);
  for (const el of targets) el.setAttribute("aria-invalid", "true");
}

function onFormChange() {
  updateOutputs();
  app.pendingSettings = readForm();
  sendSettings();
}

async function sendSettings() {
  if (app.sendingSettings || !app.pendingSettings || !app.session) return;
  const settings = app.pendingSettings;
  app.pendingSettings = null;
  app.sendingSettings = true;
  try {
    const state = await sessionCall("POST", "settings", { settings });
    app.settings = state.settings;
    localStorage.setItem(SETTINGS_KEY, JSON.stringify(app.settings));
    markInvalid(null);
    $("settings-error").textContent = "";
    hideMessage();
    await applyState(state);
  } catch (err) {
    if (err.status === 400) {
      markInvalid(err.field);
      $("settings-error").textContent = "Not applied: " + err.message;
      showMessage("Setting refused: " + err.message + " (the current run is unchanged)");
    } else {
      showMessage(err.message);
    }
  } finally {
    app.sendingSettings = false;
    if (app.pendingSettings) sendSettings();
  }
}

// ---------------------------------------------------------------- the session
async function startSession(settings) {
  let state;
  try {
    state = await api("POST", "/api/sessions", { settings: settings || {} });
  } catch (err) {
    if (err.status === 400 && settings) {  // saved settings the server no longer accepts
      state = await api("POST", "/api/sessions", { settings: {} });
      showMessage("Your saved settings were not accepted (" + err.message + "); using the defaults.", "info");
    } else {
      throw err;
    }
  }
  app.session = state.session;
  app.settings = state.settings;
  app.version = -1;
  app.runId = null;
  $("export-model").href = `/api/sessions/${app.session}/model`;
  fillForm(app.settings);
  await applyState(state);
  return state;
}

async function sessionCall(method, action, body) {
  try {
    return await api(method, `/api/sessions/${app.session}/${action}`, body);
  } catch (err) {
    if (err.status === 404) {  // expired, or the server was restarted: start again
      await startSession(app.settings);
      showMessage("The server was restarted or this tab's session expired: a new run was started with your settings.", "info");
      return api(method, `/api/sessions/${app.session}/${action}`, body);
    }
    if (err.status === 0) setConnection(false);
    throw err;
  }
}

async function control(action) {
  try {
    const state = await sessionCall("POST", action);
    if (action !== "pause") hideMessage();
    await applyState(state);
  } catch (err) {
    showMessage(err.message);
  }
}

// ---------------------------------------------------------------- polling the snapshot
async function pollOnce() {
  if (!app.session) return;
  const state = await sessionCall("GET", `state?since=${app.version}`);
  if (!state.unchanged) await applyState(state);
}

async function pollLoop() {
  try {
    await pollOnce();
  } catch (err) {
    if (err.status === 0) setConnection(false);
  }
  const busy = app.state && (app.state.status === "running" || app.state.status === "stepping");
  setTimeout(pollLoop, busy ? 150 : 700);
}

async function applyState(state) {
  if (!state || state.unchanged || state.version === undefined) return;
  if (state.session !== app.session) return;
  if (state.run === app.runId && state.version <= app.version) return;
  if (state.run !== app.runId) {
    const points = await sessionCall("GET", "data");
    if (points.run !== state.run) return;   // a newer run exists already: the next poll gets it
    app.points = points;
    app.runId = state.run;
  }
  app.version = state.version;
  app.state = state;
  render(state);
}

// ---------------------------------------------------------------- drawing the training view
function render(state) {
  const status = state.status;
  const badge = $("status");
  badge.textContent = { running: "training", stepping: "one epoch…" }[status] || status;
  badge.className = "badge " + status;
  $("play").textContent = status === "running" ? "Pause" : "Play";
  $("play").setAttribute("aria-pressed", status === "running" ? "true" : "false");
  $("epoch").textContent = state.epoch;
  const m = state.metrics;
  setMetric("train-loss", m.train_loss, fmt(m.train_loss));
  setMetric("val-loss", m.val_loss, fmt(m.val_loss));
  setMetric("train-acc", m.train_acc, pct(m.train_acc));
  setMetric("val-acc", m.val_acc, pct(m.val_acc));
  $("current-lr").textContent = fmt(state.lr, 5);
  $("param-count").textContent = countParameters(state.network);
  if (state.message && (status === "diverged" || status === "error" || status === "finished" || status === "paused")) {
    showMessage(state.message, status === "paused" || status === "finished" ? "info" : "error");
  }
  drawBoundary(state.boundary);
  drawCurves(state.history);
  drawNetwork(state.network);
}

function setMetric(id, value, text) {
  const el = $(id);
  el.textContent = text;
  el.dataset.value = value === null || value === undefined ? "" : String(value);
}

function countParameters(net) {
  let n = 0;
  for (const layer of net.layers) for (const row of layer.w) n += row.length + 1;
  return n;
}

function classColor(c) {
  return CLASS_COLORS[c % CLASS_COLORS.length];
}

function drawBoundary(b) {
  const canvas = $("boundary");
  const ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height;
  const n = b.n;
  const cells = document.createElement("canvas");
  cells.width = n;
  cells.height = n;
  const cctx = cells.getContext("2d");
  const image = cctx.createImageData(n, n);
  for (let i = 0; i < n * n; i++) {
    const [r, g, bl] = classColor(b.cls[i]);
    const t = 0.12 + 0.55 * b.conf[i];           // how strongly the cell takes its class colour
    image.data[4 * i] = Math.round(255 + (r - 255) * t);
    image.data[4 * i + 1] = Math.round(255 + (g - 255) * t);
    image.data[4 * i + 2] = Math.round(255 + (bl - 255) * t);
    image.data[4 * i + 3] = 255;
  }
  cctx.putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(cells, 0, 0, W, H);
  const [x0, x1, y0, y1] = b.bounds;
  const toX = (x) => ((x - x0) / (x1 - x0)) * W;
  const toY = (y) => H - ((y - y0) / (y1 - y0)) * H;
  // axes through 0 and unit ticks, faint
  ctx.strokeStyle = "rgba(0,0,0,0.12)";
  ctx.lineWidth = 1;
  ctx.beginPath();
  if (x0 < 0 && x1 > 0) { ctx.moveTo(toX(0), 0); ctx.lineTo(toX(0), H); }
  if (y0 < 0 && y1 > 0) { ctx.moveTo(0, toY(0)); ctx.lineTo(W, toY(0)); }
  ctx.stroke();
  ctx.fillStyle = "rgba(0,0,0,0.45)";
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillText(`x1 ∈ [${x0.toFixed(1)}, ${x1.toFixed(1)}]`, 6, H - 6);
  ctx.save();
  ctx.translate(12, H - 100);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(`x2 ∈ [${y0.toFixed(1)}, ${y1.toFixed(1)}]`, 0, 0);
  ctx.restore();
  const pts = app.points;
  if (!pts) return;
  if ($("show-train").checked) {
    for (const [x, y, c] of pts.train) {
      ctx.beginPath();
      ctx.arc(toX(x), toY(y), 4.2, 0, 2 * Math.PI);
      ctx.fillStyle = `rgb(${classColor(c).join(",")})`;
      ctx.fill();
      ctx.lineWidth = 1.3;
      ctx.strokeStyle = "#fff";
      ctx.stroke();
    }
  }
  if ($("show-val").checked) {
    for (const [x, y, c] of pts.val) {
      ctx.beginPath();
      ctx.arc(toX(x), toY(y), 4, 0, 2 * Math.PI);
      ctx.fillStyle = "#fff";
      ctx.fill();
      ctx.lineWidth = 2.4;
      ctx.strokeStyle = `rgb(${classColor(c).join(",")})`;
      ctx.stroke();
    }
  }
}

function drawCurves(h) {
  const canvas = $("curves");
  const ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height;
  const pad = { l: 44, r: 10, t: 10, b: 26 };
  ctx.clearRect(0, 0, W, H);
  ctx.font = "11px system-ui, sans-serif";
  const epochs = h.epoch;
  const series = [
    { values: h.train_loss, color: "#1d2430", dash: [] },
    { values: h.val_loss, color: "rgb(232,131,58)", dash: [5, 3] },
  ];
  const finite = [...h.train_loss, ...h.val_loss].filter((v) => v !== null && Number.isFinite(v));
  ctx.strokeStyle = "#d8dde5";
  ctx.strokeRect(pad.l, pad.t, W - pad.l - pad.r, H - pad.t - pad.b);
  ctx.fillStyle = "#5d6675";
  if (!epochs.length || !finite.length) {
    ctx.fillText("press Play or Step: the loss per epoch appears here", pad.l + 8, H / 2);
    return;
  }
  const yMax = Math.max(...finite) * 1.05 || 1;
  const xMax = Math.max(1, epochs[epochs.length - 1]);
  const px = (e) => pad.l + (e / xMax) * (W - pad.l - pad.r);
  const py = (v) => pad.t + (1 - v / yMax) * (H - pad.t - pad.b);
  ctx.fillText(yMax.toPrecision(2), 4, pad.t + 8);
  ctx.fillText("0", pad.l - 12, H - pad.b);
  ctx.fillText(`epoch ${xMax}`, W - pad.r - 60, H - 8);
  ctx.fillText("loss", 4, H / 2);
  for (const s of series) {
    ctx.beginPath();
    ctx.setLineDash(s.dash);
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 1.8;
    let started = false;
    s.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) return;
      const x = px(epochs[i]), y = py(Math.min(v, yMax));
      if (!started) { ctx.moveTo(x, y); started = true; } else ctx.lineTo(x, y);
    });
    ctx.stroke();
  }
  ctx.setLineDash([]);
}

function svg(tag, attrs = {}, parent = null) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (parent) parent.append(el);
  return el;
}

function drawNetwork(net) {
  const root = $("network");
  root.replaceChildren();
  const sizes = net.sizes;
  const width = 360;
  const rowGap = 22;
  const height = Math.max(...sizes) * rowGap + 34;
  root.setAttribute("viewBox", `0 0 ${width} ${height}`);
  root.setAttribute("height", height);
  const colX = (l) => 26 + (l * (width - 52)) / (sizes.length - 1);
  const rowY = (l, j) => 14 + (height - 34 - sizes[l] * rowGap) / 2 + rowGap * (j + 0.5);
  let maxW = 1e-9;
  for (const layer of net.layers) for (const row of layer.w) for (const w of row) maxW = Math.max(maxW, Math.abs(w || 0));
  const edges = svg("g", {}, root);
  net.layers.forEach((layer, l) => {
    layer.w.forEach((row, j) => {
      row.forEach((w, i) => {
        const a = Math.abs(w || 0) / maxW;
        const line = svg("line", {
          x1: colX(l), y1: rowY(l, i), x2: colX(l + 1), y2: rowY(l + 1, j),
          stroke: (w || 0) >= 0 ? "rgb(47,111,179)" : "rgb(232,131,58)",
          "stroke-width": (0.4 + 4.6 * a).toFixed(2),
          "stroke-opacity": (0.25 + 0.75 * a).toFixed(2),
          class: "edge",
        }, edges);
        svg("title", {}, line).textContent = `layer ${l + 1}: w from unit ${i + 1} to unit ${j + 1} = ${fmt(w)}`;
      });
    });
  });
  const units = svg("g", {}, root);
  sizes.forEach((size, l) => {
    for (let j = 0; j < size; j++) {
      let fill = "#9aa3b2";
      let label;
      if (l > 0) {
        const b = net.layers[l - 1].b[j] || 0;
        fill = b >= 0 ? "rgb(47,111,179)" : "rgb(232,131,58)";
        label = `bias ${fmt(b)}`;
      } else {
        label = `input x${j + 1}`;
      }
      const c = svg("circle", { cx: colX(l), cy: rowY(l, j), r: 7, fill, class: "unit" }, units);
      svg("title", {}, c).textContent = label;
    }
    const caption = l === 0 ? "input" : l === sizes.length - 1 ? "output" : net.activation;
    const text = svg("text", { x: colX(l), y: height - 6, "text-anchor": "middle" }, root);
    text.textContent = caption;
  });
  ["x1", "x2"].forEach((name, j) => {
    const t = svg("text", { x: colX(0) - 12, y: rowY(0, j) + 4, "text-anchor": "end" }, root);
    t.textContent = name;
  });
}

// ---------------------------------------------------------------- exports
async function exportPng() {
  // The server draws it with tinygrad_edu.plots (the figure the command line and the
  // notebooks draw); without matplotlib there, the page saves its own canvas instead.
  const button = $("export-png");
  button.disabled = true;
  try {
    const response = await fetch(`/api/sessions/${app.session}/picture`);
    if (!response.ok) throw new Error((await response.json()).error);
    const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
    const url = URL.createObjectURL(await response.blob());
    download(url, name ? name[1] : "tinygrad-edu-boundary.png");
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (err) {
    showMessage(`${err.message} (saved the page's own picture instead)`);
    const s = app.settings;
    download($("boundary").toDataURL("image/png"),
             `tinygrad-edu-${s.dataset}-boundary-epoch${app.state ? app.state.epoch : 0}.png`);
  } finally {
    button.disabled = false;
  }
}

function download(href, name) {
  const link = document.createElement("a");
  link.download = name;
  link.href = href;
  document.body.append(link);
  link.click();
  link.remove();
}

// ---------------------------------------------------------------- backprop mode
const bp = { graph: null, index: -1, requests: 0, layout: null, scale: 1 };

function setupBackprop(examples) {
  const source = $("bp-source");
  for (const [key, p] of Object.entries(examples.presets)) addOption(source, "preset:" + key, p.title, p.note);
  addOption(source, "network", "a tiny network on one example (loss L)");
  if (examples.expressions) addOption(source, "expression", "type an expression…");
  for (const a of examples.network_activations) addOption($("bp-activation"), a, a);
  $("bp-activation").value = "tanh";   // the server's default for a tiny network
  source.addEventListener("change", () => {
    $("bp-expression").hidden = source.value !== "expression";
    $("bp-network").hidden = source.value !== "network";
    loadGraph();
  });
  $("bp-load").addEventListener("click", loadGraph);
  $("bp-step").addEventListener("click", () => goTo(bp.index + 1));
  $("bp-back").addEventListener("click", () => goTo(bp.index - 1));
  $("bp-restart").addEventListener("click", () => goTo(-1));
  $("bp-end").addEventListener("click", () => goTo(bp.graph ? bp.graph.adjoint.length - 1 : -1));
  $("bp-from-data").addEventListener("click", () => {
    const pts = app.points;
    if (!pts || !pts.train.length) return;
    const [x1, x2, c] = pts.train[0];
    $("bp-x1").value = x1;
    $("bp-x2").value = x2;
    $("bp-target").value = c > 0 ? "1" : "0";
    loadGraph();
  });
}

function parseValues(text) {
  const values = {};
  for (const part of text.split(",")) {
    if (!part.trim()) continue;
    const [name, value] = part.split("=");
    if (value === undefined) throw new ApiError(400, `write the values as name = number, e.g. x1 = 2, x2 = 5 (got "${part.trim()}")`);
    values[name.trim()] = asNumber(value.trim());
  }
  return values;
}

async function loadGraph() {
  const source = $("bp-source").value;
  const ticket = ++bp.requests;   // only the latest request's answer is shown
  let graph;
  try {
    let request;
    if (source.startsWith("preset:")) {
      request = { source: "preset", preset: source.slice(7) };
    } else if (source === "expression") {
      request = { source: "expression", text: $("bp-text").value, values: parseValues($("bp-values").value) };
    } else {
      request = {
        source: "network", x: [asNumber($("bp-x1").value), asNumber($("bp-x2").value)],
        target: Number($("bp-target").value), activation: $("bp-activation").value,
        hidden: asNumber($("bp-hidden").value),
      };
    }
    graph = await api("POST", "/api/backprop", request);
  } catch (err) {
    if (ticket === bp.requests) showMessage(err.message);
    return;
  }
  if (ticket !== bp.requests) return;
  hideMessage();
  bp.graph = graph;
  $("bp-title").textContent = graph.title;
  drawTraceTables();
  drawGraph();
  goTo(-1);
}

function drawTraceTables() {
  const g = bp.graph;
  const forward = $("forward-table");
  forward.replaceChildren();
  for (const row of g.forward) {
    const tr = document.createElement("tr");
    tr.dataset.node = row.node;
    for (const [text, cls] of [[row.name, ""], ["=", ""], [row.expr, ""], ["=", ""], [row.value_text, "num"]]) {
      const td = document.createElement("td");
      td.textContent = text;
      if (cls) td.className = cls;
      tr.append(td);
    }
    forward.append(tr);
  }
  const adjoint = $("adjoint-table");
  adjoint.replaceChildren();
  g.adjoint.forEach((row, i) => {
    const tr = document.createElement("tr");
    tr.dataset.index = i;
    tr.dataset.target = row.target;
    tr.dataset.node = row.node;
    if (row.upstream !== null) tr.dataset.upstream = row.upstream;
    const cells = [[row.target, "target"], ["=", ""], [row.expr, "expr"], ["=", ""], [row.value_text, "num value"]];
    for (const [text, cls] of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      if (cls) td.className = cls;
      tr.append(td);
    }
    tr.addEventListener("click", () => goTo(i));
    adjoint.append(tr);
  });
}

// Nodes sit in levels (longest path from an input; inputs and constants just before their
// first use). Few levels: left to right, as on the slides; many: top to bottom, so that a
// network's graph still fits. Within a level, nodes are ordered to keep edges short.
function layoutGraph(g) {
  const levels = new Map();
  for (const node of g.nodes) {
    if (!levels.has(node.level)) levels.set(node.level, []);
    levels.get(node.level).push(node);
  }
  const keys = [...levels.keys()].sort((a, b) => a - b);
  const parents = new Map(g.nodes.map((n) => [n.id, []]));
  const consumers = new Map(g.nodes.map((n) => [n.id, []]));
  for (const e of g.edges) {
    parents.get(e.to).push(e.from);
    consumers.get(e.from).push(e.to);
  }
  const tallest = Math.max(...[...levels.values()].map((l) => l.length));
  const slot = new Map();
  const mean = (ids) => ids.reduce((a, id) => a + slot.get(id), 0) / ids.length;
  const place = (nodes, key) => {
    const order = nodes.map((n, i) => ({ n, k: key(n), i }));
    order.sort((a, b) => a.k - b.k || a.i - b.i);
    const offset = (tallest - nodes.length) / 2;
    order.forEach(({ n }, i) => slot.set(n.id, offset + i));
    levels.set(nodes[0].level, order.map((o) => o.n));
  };
  for (const k of keys) {           // left to right: operations follow their operands
    place(levels.get(k), (n) => {
      const ps = parents.get(n.id).filter((id) => slot.has(id));
      return ps.length ? mean(ps) : n.id;
    });
  }
  for (const k of [...keys].reverse()) {   // right to left: inputs move next to their users
    place(levels.get(k), (n) => (n.kind === "op" || !consumers.get(n.id).length)
      ? slot.get(n.id) : mean(consumers.get(n.id)));
  }
  const vertical = keys.length > 6;
  const boxW = 150, boxH = 56;
  const levelGap = vertical ? 104 : 240;   // from one level to the next
  const slotGap = vertical ? 166 : 72;     // between neighbours in a level
  const pos = new Map();
  keys.forEach((k, li) => {
    for (const n of levels.get(k)) {
      const a = 20 + li * levelGap, b = 20 + slot.get(n.id) * slotGap;
      pos.set(n.id, vertical ? { x: b, y: a } : { x: a, y: b });
    }
  });
  const along = 40 + (keys.length - 1) * levelGap + (vertical ? boxH : boxW);
  const across = 40 + (tallest - 1) * slotGap + (vertical ? boxW : boxH);
  return { pos, vertical, boxW, boxH, width: vertical ? across : along, height: vertical ? along : across };
}

function drawGraph() {
  const g = bp.graph;
  const root = $("bp-graph");
  root.replaceChildren();
  const layout = layoutGraph(g);
  bp.layout = layout;
  const { pos, vertical, width, height, boxW, boxH } = layout;
  const wrap = root.parentNode;
  const scale = Math.max(0.7, Math.min(1, (wrap.clientWidth - 4) / width));
  root.setAttribute("viewBox", `0 0 ${width} ${height}`);
  root.setAttribute("width", Math.round(width * scale));
  root.setAttribute("height", Math.round(height * scale));
  bp.scale = scale;
  const defs = svg("defs", {}, root);
  const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, markerUnits: "userSpaceOnUse", orient: "auto" }, defs);
  svg("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#9aa3b2" }, marker);
  const edgeLayer = svg("g", {}, root);
  const nodeLayer = svg("g", {}, root);
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  for (const e of g.edges) {
    const a = pos.get(e.from), b = pos.get(e.to);
    const from = byId.get(e.from);
    const side = e.operand === 0 ? -1 : 1;
    let x1, y1, x2, y2, d;
    if (vertical) {
      x1 = a.x + boxW / 2;
      y1 = a.y + (from.kind === "constant" ? boxH / 2 + 14 : boxH);
      x2 = b.x + boxW / 2 + side * 30;
      y2 = b.y;
      const my = (y1 + y2) / 2;
      d = `M ${x1} ${y1} C ${x1} ${my}, ${x2} ${my}, ${x2} ${y2}`;
    } else {
      x1 = a.x + (from.kind === "constant" ? boxW / 2 + 22 : boxW);
      y1 = a.y + boxH / 2;
      x2 = b.x;
      y2 = b.y + boxH / 2 + side * 8;
      const mx = (x1 + x2) / 2;
      d = `M ${x1} ${y1} C ${mx} ${y1}, ${mx} ${y2}, ${x2} ${y2}`;
    }
    const group = svg("g", { class: "edge", "data-edge": e.id }, edgeLayer);
    svg("path", { d, "marker-end": "url(#arrow)" }, group);
    const label = vertical
      ? svg("text", { x: x2 + side * 4, y: y2 - 10, "text-anchor": side < 0 ? "end" : "start" }, group)
      : svg("text", { x: x2 - 8, y: y2 - 4, "text-anchor": "end" }, group);
    label.textContent = `∂ = ${e.local_text}`;
    svg("title", {}, group).textContent = `local gradient ∂${byId.get(e.to).name}/∂${from.name || from.expr} = ${e.local_text} = ${e.local_value_text}`;
  }
  for (const node of g.nodes) {
    const p = pos.get(node.id);
    const cls = ["node", node.kind];
    if (node.is_output) cls.push("output");
    const group = svg("g", { class: cls.join(" "), "data-id": node.id, "data-name": node.name || "", transform: `translate(${p.x} ${p.y})` }, nodeLayer);
    if (node.kind === "constant") {
      svg("ellipse", { cx: boxW / 2, cy: boxH / 2, rx: 22, ry: 14 }, group);
      const t = svg("text", { x: boxW / 2, y: boxH / 2 + 4, "text-anchor": "middle" }, group);
      t.textContent = node.expr;
      continue;
    }
    svg("rect", { width: boxW, height: boxH, rx: 6 }, group);
    const head = svg("text", { x: 8, y: 16 }, group);
    head.textContent = node.kind === "input" ? `${node.name} = ${node.label}` : `${node.name} = ${node.expr}`;
    const val = svg("text", { x: 8, y: 32, class: "val" }, group);
    val.textContent = `value ${node.value_text}`;
    const grad = svg("text", { x: 8, y: 48, class: "grad", "data-grad": node.id }, group);
    grad.textContent = "";
  }
  svg("g", { id: "bp-overlay" }, root);
}

function scrollGraphTo(ids) {
  // bring the highlighted nodes into view inside the graph's scroll box
  const wrap = $("bp-graph").parentNode;
  const { pos, boxW, boxH } = bp.layout;
  const pts = ids.filter((id) => id !== null && id !== undefined).map((id) => pos.get(id));
  const cx = (pts.reduce((a, p) => a + p.x, 0) / pts.length + boxW / 2) * bp.scale;
  const cy = (pts.reduce((a, p) => a + p.y, 0) / pts.length + boxH / 2) * bp.scale;
  wrap.scrollTo({ left: cx - wrap.clientWidth / 2, top: cy - wrap.clientHeight / 2 });
}

function goTo(index) {
  const g = bp.graph;
  if (!g) return;
  index = Math.max(-1, Math.min(index, g.adjoint.length - 1));
  bp.index = index;
  // the adjoint of every node after rows 0..index (as the table shows them)
  const adjoints = new Map();
  for (let i = 0; i <= index; i++) {
    const row = g.adjoint[i];
    if (row.kind !== "result") adjoints.set(row.node, row.value_text);
  }
  for (const el of $("bp-graph").querySelectorAll("[data-grad]")) {
    const id = Number(el.dataset.grad);
    const name = g.nodes[id].name;
    el.textContent = adjoints.has(id) ? `v̄${name.slice(1)} = ${adjoints.get(id)}` : "";
  }
  for (const el of $("bp-graph").querySelectorAll(".hl-target, .hl-upstream, .hl-edge")) {
    el.classList.remove("hl-target", "hl-upstream", "hl-edge");
  }
  $("bp-overlay").replaceChildren();
  for (const el of $("bp-graph").querySelectorAll(".edge text")) {
    el.textContent = `∂ = ${g.edges[Number(el.parentNode.dataset.edge)].local_text}`;
  }
  $("adjoint-table").querySelectorAll("tr").forEach((tr, i) => {
    tr.className = i < index ? "done" : i === index ? "current" : "pending";
    if (i === index) {
      tr.setAttribute("aria-current", "step");
      tr.scrollIntoView({ block: "nearest" });
    } else {
      tr.removeAttribute("aria-current");
    }
    tr.querySelector(".value").textContent = i <= index ? g.adjoint[i].value_text : "…";
  });
  const position = $("bp-position");
  const explain = $("bp-explain");
  explain.replaceChildren();
  if (index < 0) {
    position.textContent = `${g.adjoint.length} rows: press Step`;
    explain.append(text("Reverse mode starts at the output and walks the graph backwards. Each Step computes one row of the adjoint trace: "),
                   span("the node's adjoint v̄", "tgt"), text(" = "), span("upstream gradient", "up"), text(" × "), span("local gradient", "loc"), text("."));
    return;
  }
  position.textContent = `row ${index + 1} of ${g.adjoint.length}`;
  const row = g.adjoint[index];
  const target = $("bp-graph").querySelector(`.node[data-id="${row.node}"]`);
  target.classList.add("hl-target");
  const formula = document.createElement("div");
  formula.className = "formula";
  formula.textContent = `${row.target} = ${row.expr} = ${row.value_text}`;
  explain.append(formula);
  if (row.kind === "step") {
    $("bp-graph").querySelector(`.node[data-id="${row.upstream}"]`).classList.add("hl-upstream");
    const edge = $("bp-graph").querySelector(`.edge[data-edge="${row.edge}"]`);
    edge.classList.add("hl-edge");
    edge.parentNode.append(edge);   // above the other edges
    edge.querySelector("text").textContent = "";
    // the local gradient, written on top of everything at the middle of the edge
    const path = edge.querySelector("path");
    const mid = path.getPointAtLength(path.getTotalLength() / 2);
    const label = svg("text", { x: mid.x, y: mid.y - 7, "text-anchor": "middle", class: "edge-label" }, $("bp-overlay"));
    label.textContent = `× ${row.local_text} = ${row.local_value_text}`;
    const line = document.createElement("div");
    line.append(span(`upstream v̄${row.upstream_name.slice(1)} = ${row.upstream_value_text}`, "up"), text("  ×  "),
                span(`local ∂${row.upstream_name}/∂${g.nodes[row.node].name} = ${row.local_text} = ${row.local_value_text}`, "loc"),
                text(`  =  ${row.contribution_text}`));
    if (row.expr.startsWith(row.target + " + ")) line.append(text(`, added to what ${row.target} already held (copy gate: gradients add up)`));
    explain.append(line);
  } else if (row.kind === "seed") {
    explain.append(text("The seed: the output's gradient with respect to itself is 1."));
  } else {
    explain.append(text(`Done for this input: ${row.target} is ∂output/∂${row.target.replace("\u0304", "")}.`));
  }
  scrollGraphTo([row.node, row.upstream]);
}

function text(t) {
  return document.createTextNode(t);
}

function span(t, cls) {
  const s = document.createElement("span");
  s.className = cls;
  s.textContent = t;
  return s;
}

// ---------------------------------------------------------------- tabs
function showTab(name) {
  for (const tab of ["train", "backprop"]) {
    $("tab-" + tab).setAttribute("aria-selected", tab === name ? "true" : "false");
    $("view-" + tab).hidden = tab !== name;
  }
  if (name === "backprop" && !bp.graph) loadGraph();
}

// ---------------------------------------------------------------- start
async function main() {
  $("message-close").addEventListener("click", hideMessage);
  $("tab-train").addEventListener("click", () => showTab("train"));
  $("tab-backprop").addEventListener("click", () => showTab("backprop"));
  $("play").addEventListener("click", () => control(app.state && app.state.status === "running" ? "pause" : "play"));
  $("step").addEventListener("click", () => control("step"));
  $("reset").addEventListener("click", () => control("reset"));
  $("export-png").addEventListener("click", exportPng);
  $("show-train").addEventListener("change", () => app.state && drawBoundary(app.state.boundary));
  $("show-val").addEventListener("change", () => app.state && drawBoundary(app.state.boundary));
  try {
    app.options = await api("GET", "/api/options");
    buildForm();
    setupBackprop(await api("GET", "/api/backprop/examples"));
    let saved = null;
    try { saved = JSON.parse(localStorage.getItem(SETTINGS_KEY) || "null"); } catch (err) { saved = null; }
    await startSession(saved);
  } catch (err) {
    setConnection(false);
    showMessage(err.message);
    return;
  }
  window.addEventListener("pagehide", () => {
    if (app.session) fetch(`/api/sessions/${app.session}`, { method: "DELETE", keepalive: true });
  });
  pollLoop();
  if (location.hash === "#backprop") showTab("backprop");
}

main();
