// The playground page: reads the state from the URL, opens the tab's WebSocket session, sends
// what the learner changes and draws what the server sends (docs/playground-protocol.md).
// Training happens on the server, in nnblocks' NumPy engine; this page only draws.

import { LossChart } from "./charts.js";
import { Controls, labelOf } from "./controls.js";
import { openEditor } from "./editor.js";
import { renderExplanation } from "./explain.js";
import { setUpExports } from "./export.js";
import { FEATURE_FUNCTIONS } from "./heatmap.js";
import { formatNumber, NetworkView, prettyFeature } from "./network-view.js";
import { OutputView } from "./output-view.js";
import { SliceControls } from "./slice-view.js";
import { PlaygroundSocket } from "./socket.js";
import { readState, writeState } from "./state-url.js";

const $ = (id) => document.getElementById(id);
const TOGGLES = Object.keys(FEATURE_FUNCTIONS);   // x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2)

const page = {
  options: {},
  state: null,            // the server's last full state
  hide: [],               // classroom mode: controls hidden through the URL
  playing: false,
  frame: null,
  data: null,
  extent: [-6, 6, -6, 6],
  outputs: 1,
  divergence: null,       // "NaN" or "∞" after a `diverged` message, until a reset or a rebuild
  parametersNotFinite: null,   // "NaN" or "∞" when the last frame's weights and biases hold such values
  csvFile: null,          // the CSV picked in the file field: {name, rows, columns, sent}
};
window.nnblocksPlayground = page;   // read-only handle for the browser tests and the curious

const socket = new PlaygroundSocket("/ws");
const chart = new LossChart($("loss-chart"));
const output = new OutputView($("output-heatmap"), $("output-points"), $("scale-bar"));
const slice = new SliceControls($("slice"), $("slice-sliders"), (values) => socket.send("slice", { values }));
let controls = null;
let network = null;

// ---- sending ------------------------------------------------------------------------------------
function configure(partial) {
  if ("hide" in partial) page.hide = partial.hide;
  socket.send("configure", { state: partial });
}

function setPlaying(playing) {
  page.playing = playing;
  $("play").classList.toggle("playing", playing);
  $("play").setAttribute("aria-pressed", String(playing));
  $("play").setAttribute("aria-label", playing ? "Pause" : "Play");
}

function togglePlay() {
  if (page.playing) {
    socket.send("pause");
    setPlaying(false);
  } else {
    hideBanner();
    socket.send("play");
    setPlaying(true);
  }
}

// ---- the banner (NaN, stops, errors) ------------------------------------------------------------
function showBanner(text, { kind = "error", action = null } = {}) {
  $("banner").hidden = false;
  $("banner").classList.toggle("info", kind === "info");
  $("banner-text").textContent = text;
  const button = $("banner-action");
  button.hidden = !action;
  if (action) {
    button.textContent = action.label;
    button.onclick = () => { hideBanner(); action.run(); };
  }
}

function hideBanner() {
  $("banner").hidden = true;
}

// ---- reading the server's messages ----------------------------------------------------------------
/** Training or test points: the server sends [x1, x2, label] rows. */
function toPoints(rows) {
  return (rows ?? []).map(([x, y, label]) => ({ x, y, label }));
}

function problemOf(state) {
  return state.problem || "classification";
}

function classCount(state) {
  if (problemOf(state) === "regression") return 1;
  const names = state.class_names ?? page.data?.class_names;
  if (Array.isArray(names) && names.length) return names.length;
  const units = Array.isArray(state.shape) ? state.shape[state.shape.length - 1] : 1;
  return units > 1 ? units : 2;
}

/** Output units: 1 for regression and two classes (one logit), K for K classes (state.shape ends with it). */
function outputUnits(state) {
  const shape = state.shape ?? [];
  return shape.length ? shape[shape.length - 1] : 1;
}

function onState(message) {
  const state = message.state;
  const previous = page.state;
  page.state = state;
  if (Array.isArray(state.hide)) page.hide = state.hide;
  writeState({ ...state, hide: page.hide });
  applyHide();
  controls.showState(state);
  if (typeof state.playing === "boolean") setPlaying(state.playing);
  $("layer-count").textContent = String(state.hidden?.length ?? 0);
  const maxLayers = page.options.limits?.max_layers ?? 6;
  $("add-layer").disabled = (state.hidden?.length ?? 0) >= maxLayers;
  $("remove-layer").disabled = (state.hidden?.length ?? 0) === 0;
  $("network-heading").lastChild.textContent = ` hidden layer${state.hidden?.length === 1 ? "" : "s"}`;
  updateDrawLabels(state);
  showCsvStatus(state);
  if (rebuilt(previous, state)) page.divergence = null;
  const structureChanged = !previous || JSON.stringify(previous.hidden) !== JSON.stringify(state.hidden)
    || JSON.stringify(previous.features) !== JSON.stringify(state.features);
  if (structureChanged) page.frame = null;
  rebuildNetwork();
}

// The state fields whose change builds a new network (docs/playground-protocol.md, "Replies"):
// the server forgets a divergence then, and so does the page.
const REBUILDING = ["dataset", "noise", "train_ratio", "seed", "classes", "problem", "features", "hidden",
  "activation", "loss", "csv"];

function rebuilt(previous, state) {
  return !previous || REBUILDING.some((key) => JSON.stringify(previous[key]) !== JSON.stringify(state[key]));
}

function onData(message) {
  const data = message;
  page.data = data;
  const train = toPoints(data.train);
  const test = toPoints(data.test);
  if (data.extent) page.extent = data.extent;
  let low = Infinity;
  let high = -Infinity;
  for (const point of train) {
    low = Math.min(low, point.label);
    high = Math.max(high, point.label);
  }
  page.targetRange = low <= high ? [low, high] : [-1, 1];
  setKind();
  page.pointCount = train.length + test.length;
  $("edited-note").hidden = !data.edited;
  output.axisNames = data.column_names ?? ["x1", "x2"];
  output.setData(train, test, page.extent);
  slice.show(data.slice, data.for === "slice");
  $("output-points").setAttribute("aria-label",
    `The output map with ${train.length} training and ${test.length} test points`);
  rebuildNetwork();
}

function setKind() {
  if (!page.state) return;
  const problem = problemOf(page.state);
  let range = page.targetRange ?? [-1, 1];
  if (problem === "regression") {
    const largest = Math.max(Math.abs(range[0]), Math.abs(range[1]), 1e-9);
    range = range[0] < 0 && range[1] > 0 ? [-largest, largest] : range;
  }
  output.setKind({
    problem, classes: classCount(page.state), targetRange: range,
    classNames: page.state.class_names ?? page.data?.class_names,
  });
}

function onFrame(message) {
  const frame = message;
  const parameters = unpackParameters(frame);
  page.frame = frame;
  $("epoch").textContent = formatEpoch(frame.epoch ?? 0);
  page.parametersNotFinite = nonFiniteKind(parameters);
  showLosses();
  showMetrics(frame.metrics);
  chart.add(frame.epoch ?? 0, frame.train_loss, frame.test_loss);
  if (frame.output) {
    const values = frame.output;
    const resolution = frame.resolution ?? Math.round(Math.sqrt(values.length));
    const classes = frame.output_channels ?? Math.max(1, Math.round(values.length / (resolution * resolution)));
    output.setGrid({ values, classes });
  }
  const units = outputUnits(page.state || {});
  if (units !== page.outputs) {
    page.outputs = units;
    rebuildNetwork();
  }
  network?.update({ weights: frame.weights, biases: frame.biases, maps: neuronMaps(frame.neurons) });
}

/**
 * The losses as text. JSON has no NaN: the server sends null for a loss that is not a number, and
 * also when there are no rows. Null reads "NaN" (or "∞") when the network has diverged — its weights
 * (float32, sent as they are) hold NaN or ±∞, or a `diverged` message came since the last reset or
 * rebuild (an infinite loss can come from large but finite weights) — and "–" otherwise: no rows.
 */
function showLosses() {
  const frame = page.frame;
  const broken = page.parametersNotFinite ?? page.divergence;
  const text = (loss, rows) => (loss === null && broken && rows > 0 ? broken : formatNumber(loss ?? null));
  $("train-loss").textContent = text(frame?.train_loss, page.data?.train?.length ?? 1);
  $("test-loss").textContent = text(frame?.test_loss, page.data?.test?.length ?? 1);
}

/** "NaN" when a number is NaN, "∞" when some are infinite and none NaN, null when all are finite. */
function nonFiniteKind(values) {
  let infinite = false;
  for (const value of values) {
    if (Number.isNaN(value)) return "NaN";
    if (!Number.isFinite(value)) infinite = true;
  }
  return infinite ? "∞" : null;
}

/**
 * The frame's weights and biases arrive as one Float32Array, layer after layer (weight (in, out)
 * row-major, then bias); this sets frame.weights[layer][source][target] and frame.biases[layer][unit]
 * as plain arrays for the rest of the page (the editors and hovercards index them), and returns all
 * the numbers.
 */
function unpackParameters(frame) {
  const values = frame.parameters ?? new Float32Array(0);
  frame.weights = [];
  frame.biases = [];
  let start = 0;
  for (const [inputs, units] of frame.layer_shapes ?? []) {
    const rows = [];
    for (let source = 0; source < inputs; source++, start += units) rows.push(Array.from(values.subarray(start, start + units)));
    frame.weights.push(rows);
    frame.biases.push(Array.from(values.subarray(start, start + units)));
    start += units;
  }
  return values;
}

/** Cut one layer's maps, one after the other in a Float32Array, into its maps (views of resolution² numbers). */
function splitMaps(values, resolution) {
  const size = resolution * resolution;
  const maps = [];
  for (let start = 0; start + size <= values.length; start += size) maps.push(values.subarray(start, start + size));
  return maps;
}

/** The frame's neuron maps, cut up: {inputs: [grid per first-layer input], hidden: [[grid per unit] per layer]}. */
function neuronMaps(neurons, resolution = page.frame?.neuron_resolution ?? 20) {
  if (!neurons) return null;
  return {
    inputs: splitMaps(neurons.inputs, resolution),
    hidden: (neurons.hidden ?? []).map((layer) => splitMaps(layer, resolution)),
  };
}

// The frame's metrics come as train_<name> and test_<name>; the page shows one line per metric, in
// this order, with a sentence for learners who meet the name for the first time.
const METRICS = {
  accuracy: { title: "Accuracy", about: "The share of points whose class the network gets right." },
  roc_auc: {
    title: "ROC AUC",
    about: "The chance that a random positive point scores above a random negative one "
      + "(0.5 is guessing, 1 is perfect).",
  },
  mae: {
    title: "MAE",
    about: "Mean absolute error: how far a prediction lies from the target on average, in the target's units.",
  },
  rmse: { title: "RMSE", about: "Root mean squared error: like the MAE, but large misses count more." },
  r2: {
    title: "R²",
    about: "The share of the target's spread the network explains: 1 is perfect, "
      + "0 is no better than predicting the mean.",
  },
};

/** {metric: {test, train}} from the frame's flat names, known metrics first, in METRICS' order. */
function groupMetrics(metrics) {
  const groups = new Map(Object.keys(METRICS).map((name) => [name, {}]));
  for (const [key, value] of Object.entries(metrics ?? {})) {
    const match = /^(train|test)_(.+)$/.exec(key);
    if (!match) continue;
    const [, part, name] = match;
    if (!groups.has(name)) groups.set(name, {});
    groups.get(name)[part] = value;
  }
  return [...groups].filter(([, parts]) => Object.keys(parts).length > 0);
}

/**
 * One line per metric: "Accuracy: test 0.460 · train 0.420". The lines stay from frame to frame
 * and only their numbers change: a line made anew 60 times a second would close its tooltip.
 */
function showMetrics(metrics) {
  const box = $("metrics");
  const groups = groupMetrics(metrics);
  const lines = groups.map(([name, parts]) => {
    const line = metricLine(box, name);
    const values = ["test", "train"].filter((part) => part in parts)
      .map((part) => `${part} ${formatMetric(parts[part])}`);
    line.lastChild.textContent = values.join(" · ");
    return line;
  });
  if (lines.length !== box.children.length || lines.some((line, index) => box.children[index] !== line)) {
    box.replaceChildren(...lines);
  }
}

/** Three decimals, "–" for null (a diverged network), and a true minus sign for a negative R². */
function formatMetric(value) {
  return formatNumber(typeof value === "number" ? value : null).replace(/^-/, "−");
}

function metricLine(box, name) {
  const existing = [...box.children].find((line) => line.dataset.metric === name);
  if (existing) return existing;
  const known = METRICS[name] ?? { title: labelOf(name), about: "" };
  const line = document.createElement("div");
  line.className = "metric";
  line.dataset.metric = name;
  if (known.about) line.title = known.about;
  const title = document.createElement("span");
  title.className = "metric-name";
  title.textContent = `${known.title}:`;
  line.append(title, document.createTextNode(" "), document.createElement("span"));
  return line;
}

function formatEpoch(epoch) {
  return String(Math.max(0, Math.floor(epoch))).padStart(6, "0").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

// ---- the network view ---------------------------------------------------------------------------------
function rebuildNetwork() {
  const state = page.state;
  if (!state) return;
  const active = state.input_names ?? state.features ?? [];
  page.outputs = outputUnits(state);
  const classNames = state.class_names ?? page.data?.class_names;
  network.setStructure({
    toggles: toggles(state),
    active,
    columnNames: columnNames(state),
    togglable: !(page.hide ?? []).includes("features"),
    hidden: state.hidden ?? [],
    outputs: page.outputs,
    outputNames: page.outputs > 1 ? (classNames ?? [...Array(page.outputs).keys()].map((k) => `class ${k}`)) : null,
    extent: page.extent,
    maxNeurons: page.options.limits?.max_neurons ?? 8,
  });
  if (page.frame) network.update({ weights: page.frame.weights, biases: page.frame.biases, maps: neuronMaps(page.frame.neurons) });
  output.setOptions({ showTest: Boolean(state.show_test), discretize: Boolean(state.discretize) });
  setKind();
  output.paintGrid();
  output.drawPoints();
  applyHide();
}

/** The feature toggles: the seven, and x3, x4, ... for a CSV with more than two feature columns. */
function toggles(state) {
  const columns = state.column_names ?? ["x1", "x2"];
  return [...TOGGLES, ...columns.slice(2).map((_, index) => `x${index + 3}`)];
}

/** The names x1, x2, ... stand for, when they are a CSV's columns (null for the generated sets). */
function columnNames(state) {
  const columns = state.column_names;
  if (!columns || columns.every((name, index) => name === `x${index + 1}`)) return null;
  return columns;
}

function toggleFeature(name) {
  const current = page.state?.features ?? [];
  const next = current.includes(name) ? current.filter((f) => f !== name)
    : toggles(page.state).filter((f) => f === name || current.includes(f));
  if (next.length === 0) {
    showBanner("A network needs at least one input feature.", { kind: "info" });
    return;
  }
  configure({ features: next });
}

function resizeLayer(layer, change) {
  const hidden = [...(page.state?.hidden ?? [])];
  const max = page.options.limits?.max_neurons ?? 8;
  hidden[layer] = Math.max(1, Math.min(max, hidden[layer] + change));
  configure({ hidden });
}

function changeLayers(change) {
  const hidden = [...(page.state?.hidden ?? [])];
  if (change > 0) hidden.push(hidden.length ? hidden[hidden.length - 1] : 2);
  else hidden.pop();
  configure({ hidden });
}

function sourceName(layer, source) {
  if (layer === 0) {
    const name = (page.state.input_names ?? page.state.features ?? [])[source] ?? `input ${source + 1}`;
    return prettyFeature(name, columnNames(page.state));
  }
  return `neuron ${layer},${source + 1}`;
}

function unitName(layer, unit) {
  const hiddenCount = page.state.hidden?.length ?? 0;
  if (layer === hiddenCount) return page.outputs > 1 ? `output ${unit}` : "the output";
  return `neuron ${layer + 1},${unit + 1}`;
}

function editWeight(layer, source, target) {
  const value = page.frame?.weights?.[layer]?.[source]?.[target];
  openEditor({
    title: `Weight from ${sourceName(layer, source)} to ${unitName(layer, target)}`,
    fields: [{ label: "weight", name: "weight", value, apply: (v) => socket.send("set_weight", { layer, source, target, value: v }) }],
  });
}

function editNeuron(layer, unit) {
  const weights = page.frame?.weights?.[layer] ?? [];
  const fields = [{
    label: "bias", name: "bias", value: page.frame?.biases?.[layer]?.[unit],
    apply: (v) => socket.send("set_bias", { layer, unit, value: v }),
  }];
  weights.forEach((row, source) => fields.push({
    label: `weight from ${sourceName(layer, source)}`, name: `weight-${source}`, value: row[unit],
    apply: (v) => socket.send("set_weight", { layer, source, target: unit, value: v }),
  }));
  openEditor({ title: `${capitalise(unitName(layer, unit))}: bias and incoming weights`, fields });
}

function capitalise(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// ---- the output panel: explain, draw, erase ----------------------------------------------------------
function clickMode() {
  return document.querySelector("input[name=click-mode]:checked")?.value ?? "explain";
}

function updateDrawLabels(state) {
  const select = $("draw-label");
  const previous = select.value;
  if (problemOf(state) === "regression") {
    select.replaceChildren(...[-1, -0.5, 0, 0.5, 1].map((v) => new Option(`value ${v}`, String(v))));
  } else {
    const k = classCount(state);
    const names = state.class_names ?? page.data?.class_names;
    select.replaceChildren(...[...Array(k).keys()].map((c) => new Option(names?.[c] ?? `class ${c}`, String(c))));
  }
  if ([...select.options].some((o) => o.value === previous)) select.value = previous;
  else select.value = select.options[select.options.length - 1]?.value ?? "1";
}

function actAt(x, y) {
  const mode = clickMode();
  const radius = (page.extent[1] - page.extent[0]) / 24;
  if (mode === "explain") {
    output.setMarker([x, y]);
    socket.send("explain", { x, y });
  } else if (mode === "add") {
    socket.send("points", { action: "add", x, y, label: Number($("draw-label").value), radius });
  } else {
    socket.send("points", { action: "erase", x, y, radius });
  }
}

function setUpOutputClicks() {
  const canvas = $("output-points");
  canvas.addEventListener("click", (event) => {
    const box = canvas.getBoundingClientRect();
    const [x, y] = output.toPlane(event.clientX - box.left, event.clientY - box.top);
    actAt(x, y);
  });
  // Keyboard: arrows move a cursor over the map, Enter acts at it.
  canvas.addEventListener("keydown", (event) => {
    const [xMin, xMax, yMin, yMax] = page.extent;
    const step = (xMax - xMin) / 40;
    const cursor = output.cursor ?? [(xMin + xMax) / 2, (yMin + yMax) / 2];
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    if (moves[event.key]) {
      event.preventDefault();
      output.cursor = [Math.min(xMax, Math.max(xMin, cursor[0] + moves[event.key][0])),
        Math.min(yMax, Math.max(yMin, cursor[1] + moves[event.key][1]))];
      output.drawPoints();
    } else if (event.key === "Enter") {
      event.preventDefault();
      output.cursor = cursor;
      actAt(cursor[0], cursor[1]);
    }
  });
  canvas.addEventListener("blur", () => { output.cursor = null; output.drawPoints(); });
  $("explain-close").addEventListener("click", () => {
    $("explain").hidden = true;
    output.setMarker(null);
  });
}

// ---- CSV upload ----------------------------------------------------------------------------------------
function splitCsvLine(line) {
  const cells = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { cells.push(cell); cell = ""; } else cell += c;
  }
  cells.push(cell);
  return cells.map((s) => s.trim());
}

/** What the CSV panel says: the table in use, the picked file waiting to be used, or that none is in use. */
function showCsvStatus(state) {
  const status = $("csv-status");
  const file = page.csvFile;
  if (file && !file.sent) {
    status.textContent = `${file.name}: ${file.rows} rows, ${file.columns} columns.`;
  } else if (state.dataset === "csv" && state.csv) {
    const features = state.csv.features;
    status.textContent = `In use: ${features.join(", ")} → ${state.csv.target}` +
      (features.length > 2 ? ` (drawn on the slice through ${features.slice(0, 2).join(" and ")})` : "") + ".";
  } else if (file || state.csv) {
    // A built-in set replaced the table; only a new upload brings it back (configure cannot).
    status.textContent = `No CSV in use: the built-in set “${labelOf(state.dataset)}” is chosen.` +
      (file ? ` “Use this data” loads ${file.name} again.` : "");
  } else {
    status.textContent = "";
  }
}

/** The server refused the table: the status says why, and the file waits to be sent again. */
function refusedCsv(message) {
  if (page.csvFile) page.csvFile.sent = false;
  $("csv-status").textContent = `Not in use: ${message.message ?? "the server refused the table."}`;
}

/** The feature columns ticked in the CSV panel. */
function csvFeatures() {
  return [...$("csv-features").querySelectorAll("input:checked")].map((input) => input.value);
}

/**
 * Why the ticked columns cannot be sent, or "" when they can. The server needs two feature columns
 * at least (the plane has two axes), and a target that is not one of them.
 */
function csvProblem() {
  const features = csvFeatures();
  if (features.length < 2) return "Choose at least two feature columns.";
  if (features.includes($("csv-target").value)) return "Choose a target column that is not a feature column.";
  return "";
}

/** The send button only works for a choice the server accepts; the hint beside it says what is missing. */
function checkCsvChoice() {
  const problem = csvProblem();
  $("csv-use").disabled = problem !== "";
  $("csv-hint").textContent = problem;
  $("csv-hint").hidden = problem === "";
}

function showCsvColumns(header, numeric) {
  const box = $("csv-features");
  box.replaceChildren();
  let ticked = 0;
  header.forEach((name, i) => {
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.type = "checkbox";
    input.value = name;
    input.checked = numeric[i] && ticked < 2 && i < header.length - 1;
    if (input.checked) ticked++;
    input.addEventListener("change", checkCsvChoice);
    label.append(input, ` ${name}`);
    box.append(label);
  });
  const target = $("csv-target");
  target.replaceChildren(...header.map((name) => new Option(name, name)));
  target.value = header[header.length - 1];
  $("csv-columns").hidden = false;
  checkCsvChoice();
}

function setUpCsv() {
  let text = "";
  $("csv-file").addEventListener("change", async () => {
    const file = $("csv-file").files[0];
    if (!file) return;
    text = await file.text();
    const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
    const header = splitCsvLine(lines[0] ?? "");
    const first = splitCsvLine(lines[1] ?? "");
    const numeric = header.map((_, i) => first[i] !== undefined && first[i] !== "" && Number.isFinite(Number(first[i])));
    page.csvFile = { name: file.name, rows: lines.length - 1, columns: header.length, sent: false };
    showCsvColumns(header, numeric);
    if (page.state) showCsvStatus(page.state);
  });
  $("csv-target").addEventListener("change", checkCsvChoice);
  $("csv-use").addEventListener("click", () => {
    if (csvProblem()) return;   // the button is disabled then; a stale click changes nothing
    const features = csvFeatures();
    const target = $("csv-target").value;
    setPlaying(false);
    page.csvFile.sent = true;
    socket.send("upload_csv", { text, features, target });
    $("csv-status").textContent = `Sending: ${features.join(", ")} → ${target}…`;
  });
}

// ---- classroom mode -------------------------------------------------------------------------------------
function applyHide() {
  const hidden = new Set(page.hide ?? []);
  for (const element of document.querySelectorAll("[data-control]")) {
    element.classList.toggle("classroom-hidden", hidden.has(element.dataset.control));
  }
  document.body.classList.toggle("classroom", hidden.size > 0);
}

function allowed(control) {
  return !(page.hide ?? []).includes(control);
}

function step() {
  if (page.playing) socket.send("pause");
  setPlaying(false);
  socket.send("step");
}

function reset() {
  hideBanner();
  page.divergence = null;
  socket.send("reset");
}

// ---- keyboard --------------------------------------------------------------------------------------------
function setUpKeys() {
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    const typing = target.closest?.("input, select, textarea, button, dialog, [contenteditable], summary, canvas");
    if (typing) return;   // a focused control keeps its own keys (Space presses a button)
    if (event.key === " " || event.code === "Space") {
      event.preventDefault();
      if (allowed("play")) togglePlay();
    } else if (event.key === "s" || event.key === "S") {
      if (allowed("step")) step();
    } else if (event.key === "r" || event.key === "R") {
      if (allowed("reset")) reset();
    }
  });
}

// ---- start ----------------------------------------------------------------------------------------------
async function loadOptions() {
  try {
    const response = await fetch("/api/options");
    if (response.ok) return await response.json();
  } catch (error) {
    console.warn("playground: /api/options could not be read", error);
  }
  return {};
}

async function start() {
  page.options = await loadOptions();
  const fromUrl = readState();
  page.hide = fromUrl.hide ?? [];
  applyHide();
  controls = new Controls(page.options, (partial) => configure(partial));
  network = new NetworkView($("network-view"), {
    onToggleFeature: toggleFeature,
    onResizeLayer: resizeLayer,
    onEditWeight: editWeight,
    onEditNeuron: editNeuron,
    onPreview: (values) => output.preview(values),
  });

  socket.onstatus = (status) => {
    const label = $("connection");
    label.textContent = { connecting: "connecting…", open: "connected", closed: "disconnected — reload the page to start a new session", error: "connection error" }[status] ?? status;
    label.className = "connection " + (status === "open" ? "ok" : status === "connecting" ? "" : "bad");
    if (status === "closed") setPlaying(false);
  };
  socket.on("state", onState);
  socket.on("data", onData);
  socket.on("frame", onFrame);
  socket.on("explain", (message) => {
    $("explain").hidden = false;
    renderExplanation($("explain-body"), message, {
      classNames: page.state?.class_names ?? page.data?.class_names, problem: page.state?.problem,
    });
  });
  socket.on("stopped", (message) => {
    setPlaying(false);
    showBanner(message.message ?? `Training stopped: ${message.reason ?? "a stop condition was met"}.`, { kind: "info" });
  });
  socket.on("diverged", (message) => {
    setPlaying(false);
    page.divergence = /infinite/i.test(message.message ?? "") ? "∞" : "NaN";
    showLosses();
    const suggested = message.suggested_learning_rate;
    showBanner(message.message ?? "The loss became NaN.", {
      action: suggested ? {
        label: `Reset at learning rate ${suggested}`,
        run: () => { configure({ learning_rate: suggested }); reset(); },
      } : null,
    });
  });
  socket.on("error", (message) => {
    console.warn("playground: the server said", message);
    if (message.for === "upload_csv") refusedCsv(message);
    if (message.for === "slice") slice.refused();
    showBanner(`${message.for ? labelOf(message.for) + ": " : ""}${message.message ?? "something went wrong"}`);
  });

  $("play").addEventListener("click", togglePlay);
  $("step").addEventListener("click", step);
  $("reset").addEventListener("click", reset);
  $("regenerate").addEventListener("click", () => socket.send("regenerate"));
  $("add-layer").addEventListener("click", () => changeLayers(+1));
  $("remove-layer").addEventListener("click", () => changeLayers(-1));
  $("banner-close").addEventListener("click", hideBanner);
  setUpExports(socket);
  setUpOutputClicks();
  setUpCsv();
  setUpKeys();

  socket.connect();
  configure(fromUrl);
}

start();
