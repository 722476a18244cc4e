// The settings controls: the top bar's selects, the data panel's thumbnails and sliders, the
// output's check boxes. Each control is bound to one state key; a change calls `onChange(partial)`.
// `showState(state)` sets every control from the server's state (it never sends anything).

import { CLASS_COLOURS, cssColour, divergingColour } from "./heatmap.js";

export const LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
export const REGULARIZATION_RATES = [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
export const SPEEDS = [1, 2, 5, 10, 20, 50, 100];
// The batch sizes the slider steps through: every size up to 30, where one more or less matters and
// TF Playground's slider ends, then the usual larger ones. A linear slider up to 1000 left 1..30 in
// its first few pixels.
export const BATCH_SIZES = [...Array(30).keys()].map((index) => index + 1)
  .concat([40, 50, 64, 100, 128, 200, 256, 500, 1000]);

const LABELS = {
  none: "None", l1: "L1", l2: "L2", classification: "Classification", regression: "Regression",
  sgd: "SGD", momentum: "Momentum", nesterov: "Nesterov", rmsprop: "RMSprop", adagrad: "Adagrad", adam: "Adam",
  adamw: "AdamW", relu: "ReLU", leaky_relu: "Leaky ReLU", elu: "ELU", gelu: "GELU", silu: "SiLU", tanh: "Tanh",
  sigmoid: "Sigmoid", linear: "Linear", softplus: "Softplus", softmax: "Softmax", mse: "Squared error",
  mae: "Absolute error", huber: "Huber", binary_cross_entropy: "Cross-entropy (binary)",
  softmax_cross_entropy: "Cross-entropy (softmax)", cross_entropy: "Cross-entropy", hinge: "Hinge",
  squared_error: "Squared error", absolute_error: "Absolute error", auto: "Auto", csv: "Your CSV",
};

export function labelOf(name) {
  return LABELS[name] ?? String(name).replace(/_/g, " ");
}

function fillSelect(select, values, label = labelOf) {
  select.replaceChildren(...values.map((value) => new Option(label(value), String(value))));
}

function setSelect(select, value) {
  if (value === undefined || value === null) return;
  const text = String(value);
  if (![...select.options].some((option) => option.value === text)) {
    select.append(new Option(labelOf(value), text));
  }
  select.value = text;
}

/**
 * The slider's stops for batch sizes up to `largest` (the server's limit, itself a stop), with
 * `current` among them when it is not one already (a shared link may hold any size).
 */
export function batchSizeStops(largest, current = null) {
  const stops = BATCH_SIZES.filter((size) => size <= largest);
  if (!stops.includes(largest)) stops.push(largest);
  if (Number.isInteger(current) && current > 0 && !stops.includes(current)) stops.push(current);
  return stops.sort((a, b) => a - b);
}

/** The names an options list holds, whether it lists strings or objects with a name. */
export function names(list) {
  return (list || []).map((item) => (typeof item === "string" ? item : item.name ?? item.id));
}

export class Controls {
  constructor(options, onChange) {
    this.options = options;
    this.onChange = onChange;
    this.byId = (id) => document.getElementById(id);
    this.buildSelects();
    this.buildDatasets();
    this.bindSliders();
    this.bindChecks();
    this.bindStops();
  }

  buildSelects() {
    const o = this.options;
    const selects = {
      learning_rate: [LEARNING_RATES, (v) => String(v)],
      activation: [names(o.activations), labelOf],
      regularization: [names(o.regularizations ?? ["none", "l1", "l2"]), labelOf],
      regularization_rate: [REGULARIZATION_RATES, (v) => String(v)],
      problem: [names(o.problems ?? ["classification", "regression"]), labelOf],
      optimizer: [names(o.optimizers), labelOf],
      loss: [names(o.losses), labelOf],
      epochs_per_frame: [SPEEDS, (v) => String(v)],
    };
    for (const [key, [values, label]] of Object.entries(selects)) {
      const select = this.byId(key);
      fillSelect(select, values, label);
      select.addEventListener("change", () => {
        const numeric = ["learning_rate", "regularization_rate", "epochs_per_frame"].includes(key);
        this.onChange({ [key]: numeric ? Number(select.value) : select.value });
      });
    }
  }

  buildDatasets() {
    const box = this.byId("datasets");
    box.replaceChildren();
    const datasets = (this.options.datasets || []).map((item) => (typeof item === "string" ? { name: item } : item));
    this.datasetButtons = datasets.map((dataset) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "dataset";
      button.setAttribute("role", "radio");
      button.setAttribute("aria-checked", "false");
      button.dataset.dataset = dataset.name;
      const title = dataset.title || labelOf(dataset.name);
      const kind = dataset.problem || dataset.task;
      button.title = kind ? `${title} (${kind})` : title;
      button.setAttribute("aria-label", button.title);
      const canvas = document.createElement("canvas");
      canvas.width = 52;
      canvas.height = 52;
      drawThumbnail(canvas, dataset.name);
      const name = document.createElement("span");
      name.className = "dataset-name";
      name.textContent = title;
      button.append(canvas, name);
      button.addEventListener("click", () => this.onChange({ dataset: dataset.name }));
      box.append(button);
      return button;
    });
  }

  bindSliders() {
    for (const key of ["train_ratio", "noise", "classes"]) {
      const input = this.byId(key);
      const output = this.byId(`${key}_value`);
      input.addEventListener("input", () => { output.textContent = input.value; });
      input.addEventListener("change", () => this.onChange({ [key]: Number(input.value) }));
    }
    const limits = this.options.limits || {};
    if (limits.max_classes) this.byId("classes").max = limits.max_classes;
    this.bindBatchSize(limits.max_batch_size ?? BATCH_SIZES[BATCH_SIZES.length - 1]);
  }

  /** The batch-size slider moves through stops (batchSizeStops), not sizes: its value is a stop's index. */
  bindBatchSize(largest) {
    const input = this.byId("batch_size");
    this.largestBatchSize = largest;
    this.setBatchSizeStops(batchSizeStops(largest));
    input.addEventListener("input", () => this.showBatchSize(this.batchSizes[Number(input.value)]));
    input.addEventListener("change", () => this.onChange({ batch_size: this.batchSizes[Number(input.value)] }));
  }

  setBatchSizeStops(stops) {
    this.batchSizes = stops;
    const input = this.byId("batch_size");
    input.min = "0";
    input.max = String(stops.length - 1);
    input.step = "1";
  }

  /** Put the slider at `size` and show the size itself (also to screen readers, not the stop's index). */
  showBatchSize(size) {
    if (!this.batchSizes.includes(size)) this.setBatchSizeStops(batchSizeStops(this.largestBatchSize, size));
    const input = this.byId("batch_size");
    input.value = String(this.batchSizes.indexOf(size));
    input.setAttribute("aria-valuetext", String(size));
    this.byId("batch_size_value").textContent = String(size);
  }

  bindChecks() {
    for (const key of ["show_test", "discretize"]) {
      const box = this.byId(key);
      box.addEventListener("change", () => this.onChange({ [key]: box.checked }));
    }
  }

  bindStops() {
    for (const key of ["stop_epochs", "stop_loss"]) {
      const input = this.byId(key);
      input.addEventListener("change", () => {
        const value = input.value.trim() === "" ? null : Number(input.value);
        if (value === null || (Number.isFinite(value) && value >= 0)) this.onChange({ [key]: value });
      });
    }
  }

  /** Show the server's state in every control. */
  showState(state) {
    // Only the losses that suit the problem (options list each loss with the problems it suits).
    const losses = (this.options.losses || []).filter((loss) => typeof loss === "string" || !loss.problems
      || loss.problems.includes(state.problem));
    const lossNames = names(losses);
    if (lossNames.length && lossNames.join() !== this.lossNames) {
      fillSelect(this.byId("loss"), lossNames);
      this.lossNames = lossNames.join();
    }
    for (const key of ["learning_rate", "activation", "regularization", "regularization_rate", "problem",
      "optimizer", "loss", "epochs_per_frame"]) {
      setSelect(this.byId(key), state[key]);
    }
    if (Number.isInteger(state.batch_size)) this.showBatchSize(state.batch_size);
    for (const key of ["train_ratio", "noise", "classes"]) {
      if (state[key] === undefined || state[key] === null) continue;
      const input = this.byId(key);
      if (Number(state[key]) > Number(input.max)) input.max = state[key];
      input.value = state[key];
      this.byId(`${key}_value`).textContent = state[key];
    }
    for (const key of ["show_test", "discretize"]) this.byId(key).checked = Boolean(state[key]);
    for (const key of ["stop_epochs", "stop_loss"]) {
      const input = this.byId(key);
      if (document.activeElement !== input) input.value = state[key] ?? "";
    }
    for (const button of this.datasetButtons) {
      button.setAttribute("aria-checked", String(button.dataset.dataset === state.dataset));
    }
    this.byId("regularization_rate").disabled = !state.regularization || state.regularization === "none";
    const entry = (this.options.datasets || []).find((d) => (d.name ?? d) === state.dataset);
    const multiClass = Boolean(entry?.classes > 2 || entry?.multiclass || String(state.dataset).includes("classes"));
    this.byId("classes").closest(".slider").classList.toggle("inactive", !multiClass);
  }
}

// ---- data set thumbnails: small pictures of each set's shape (drawings, not the data itself) ----
function randomSource(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function normal(random) {
  return Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
}

export function drawThumbnail(canvas, name) {
  const context = canvas.getContext("2d");
  const size = canvas.width;
  const random = randomSource(7);
  const toPixel = (v) => ((v + 6) / 12) * size;
  context.fillStyle = "#f4f4f4";
  context.fillRect(0, 0, size, size);
  const points = [];   // [x, y, colour]
  const signed = (value) => cssColour(divergingColour(value));
  const key = String(name).replace(/-/g, "_");
  if (key === "circle") {
    for (let i = 0; i < 90; i++) {
      const inside = i % 2 === 0;
      const r = inside ? random() * 2.4 : 3.4 + random() * 1.8;
      const a = random() * 2 * Math.PI;
      points.push([r * Math.cos(a), r * Math.sin(a), inside ? CLASS_COLOURS[1] : CLASS_COLOURS[0]]);
    }
  } else if (key === "xor") {
    for (let i = 0; i < 100; i++) {
      const x = (random() * 10 - 5) || 0.3;
      const y = (random() * 10 - 5) || 0.3;
      points.push([x + Math.sign(x) * 0.4, y + Math.sign(y) * 0.4, x * y >= 0 ? CLASS_COLOURS[1] : CLASS_COLOURS[0]]);
    }
  } else if (key === "gauss") {
    for (let i = 0; i < 90; i++) {
      const positive = i % 2 === 0;
      const c = positive ? 2 : -2;
      points.push([c + normal(random) * 0.9, c + normal(random) * 0.9, positive ? CLASS_COLOURS[1] : CLASS_COLOURS[0]]);
    }
  } else if (key === "spiral" || key === "spiral_classes") {
    const arms = key === "spiral" ? 2 : 3;
    for (let arm = 0; arm < arms; arm++) {
      for (let i = 0; i < 45; i++) {
        const r = (i / 45) * 5;
        const t = (1.75 * i / 45) * 2 * Math.PI + (arm * 2 * Math.PI) / arms;
        points.push([r * Math.sin(t) + normal(random) * 0.1, r * Math.cos(t) + normal(random) * 0.1,
          CLASS_COLOURS[arms === 2 ? 1 - arm : arm]]);
      }
    }
  } else if (key === "moons") {
    for (let i = 0; i < 90; i++) {
      const upper = i % 2 === 0;
      const a = random() * Math.PI;
      const x = upper ? Math.cos(a) * 3 - 1.2 : 1.8 - Math.cos(a) * 3;
      const y = upper ? Math.sin(a) * 3 - 0.6 : 0.9 - Math.sin(a) * 3;
      points.push([x, y, upper ? CLASS_COLOURS[0] : CLASS_COLOURS[1]]);
    }
  } else if (key === "plane") {
    for (let i = 0; i < 110; i++) {
      const x = random() * 12 - 6;
      const y = random() * 12 - 6;
      points.push([x, y, signed((x + y) / 10)]);
    }
  } else if (key === "multi_gaussian") {
    const centres = [[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]];
    for (let i = 0; i < 110; i++) {
      const x = random() * 12 - 6;
      const y = random() * 12 - 6;
      let value = 0;
      for (const [cx, cy, sign] of centres) value += sign * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 3);
      points.push([x, y, signed(value)]);
    }
  } else {
    context.fillStyle = "#888";
    context.font = "10px system-ui, sans-serif";
    context.textAlign = "center";
    context.fillText(labelOf(name), size / 2, size / 2);
    return;
  }
  for (const [x, y, colour] of points) {
    context.beginPath();
    context.arc(toPixel(x), size - toPixel(y), 1.8, 0, 2 * Math.PI);
    context.fillStyle = colour;
    context.fill();
  }
}
