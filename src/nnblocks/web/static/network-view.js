// The network drawn as TF Playground draws it: a column of input features, one column per hidden
// layer, the output node(s); every neuron shows its map over the plane, every link its weight
// (colour = sign, width = size). Neurons are <button>s: click (or Enter) opens the editor for the
// neuron's bias and incoming weights; a link opens the editor for its one weight.

import { CLASS_COLOURS, cssColour, divergingColour, featureGrid, paintSigned } from "./heatmap.js";

const SVG = "http://www.w3.org/2000/svg";
const FEATURE_SIZE = 30;
const NEURON_SIZE = 40;
const OUTPUT_SIZE = 18;
const TOP = 50;           // room for each layer's +/− controls and its size
const LEFT = 64;          // room for the feature labels

function linkWidth(weight) {  // like TF Playground (|w| in [0, 5] -> [1, 10] pixels), a little thinner
  return 0.8 + Math.min(Math.abs(weight), 5) * 1.2;
}

export function formatNumber(value, digits = 3) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "−∞";
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e5)) return value.toExponential(2);
  return value.toFixed(digits);
}

export class NetworkView {
  constructor(container, callbacks) {
    this.container = container;
    this.callbacks = callbacks;
    this.structure = null;
    this.weights = [];
    this.biases = [];
    this.links = [];          // {layer, source, target, path, hit}
    this.nodes = [];          // per column: [{button, canvas, bias}]
    this.hovercard = document.getElementById("hovercard");
    this.resizeObserver = new ResizeObserver(() => this.structure && this.build(this.structure));
    this.resizeObserver.observe(container);
  }

  /**
   * structure: {toggles: [names] (the feature column), active: [names in the first layer's order],
   * columnNames (a CSV's names for x1, x2, ... or null), togglable, hidden: [sizes], outputs,
   * outputNames, extent, maxNeurons}
   */
  setStructure(structure) {
    const key = JSON.stringify(structure);
    if (key === this.structureKey) return;
    this.structureKey = key;
    this.structure = structure;
    this.build(structure);
  }

  build(s) {
    const width = Math.max(this.container.clientWidth, 420);
    const hiddenCount = s.hidden.length;
    const columns = hiddenCount + 2;          // features, hidden layers, output
    const xs = [];
    const right = width - OUTPUT_SIZE - 30;
    const longest = Math.max(...s.toggles.map((name) => prettyFeature(name, s.columnNames).length));
    const left = Math.min(Math.max(LEFT, longest * 6.5 + 14), 150);   // room for the feature labels
    for (let c = 0; c < columns; c++) xs.push(left + (c * (right - left)) / (columns - 1));

    const largest = Math.max(s.toggles.length, ...s.hidden, 1);
    const spacing = Math.max(Math.min(NEURON_SIZE + 12, 420 / largest), 16);
    const neuronSize = Math.max(Math.min(NEURON_SIZE, spacing - 8), 12);
    const featureSpacing = Math.max(Math.min(FEATURE_SIZE + 14, 400 / s.toggles.length), 16);
    const featureSize = Math.max(Math.min(FEATURE_SIZE, featureSpacing - 8), 12);
    const height = TOP + Math.max(s.toggles.length * featureSpacing, largest * spacing) + 10;

    this.container.replaceChildren();
    this.container.style.height = `${height}px`;
    const svg = document.createElementNS(SVG, "svg");
    svg.classList.add("links");
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    this.container.append(svg);
    this.svg = svg;
    this.nodes = [];
    this.links = [];

    // Column 0: the input features (all seven toggles, or the columns of uploaded data).
    const featureNodes = s.toggles.map((name, i) => {
      const active = s.active.includes(name);
      const y = TOP + i * featureSpacing;
      const node = this.makeNode({
        x: xs[0], y, size: featureSize, classes: ["feature", active ? "on" : "off"],
        label: active ? `Feature ${name}: on (press to turn it off)` : `Feature ${name}: off (press to turn it on)`,
      });
      node.name = name;
      node.active = active;
      node.button.setAttribute("aria-pressed", String(active));
      node.button.dataset.feature = name;
      if (!s.togglable) node.button.disabled = true;
      node.button.addEventListener("click", () => this.callbacks.onToggleFeature(name));
      node.button.addEventListener("mouseenter", () => {
        const index = s.active.indexOf(name);
        this.callbacks.onPreview?.(index >= 0 ? this.maps?.inputs?.[index] ?? null : null);
      });
      node.button.addEventListener("mouseleave", () => this.callbacks.onPreview?.(null));
      const label = document.createElement("span");
      label.className = "feature-label" + (active ? "" : " off");
      label.textContent = prettyFeature(name, s.columnNames);
      label.style.left = `${xs[0] - 8}px`;
      label.style.top = `${y + featureSize / 2}px`;
      label.style.transform = "translate(-100%, -50%)";
      label.style.position = "absolute";
      label.style.right = "auto";
      this.container.append(label);
      paintSigned(node.canvas, featureGrid(name, s.extent, 20));   // the server's map replaces it when on
      return node;
    });
    this.nodes.push(featureNodes);

    // The hidden layers, each with its own +/− for neurons. The +/− go into the page first, so the
    // Tab key reaches a layer's size controls before its neurons (they are drawn above them too).
    s.hidden.forEach((size, layer) => {
      const x = xs[layer + 1];
      const top = TOP + (largest * spacing - size * spacing) / 2;
      const column = [];
      this.addLayerControls(x + neuronSize / 2, layer, size, s);
      for (let unit = 0; unit < size; unit++) {
        const node = this.makeNode({
          x, y: top + unit * spacing, size: neuronSize, classes: ["hidden-neuron"],
          label: `Hidden layer ${layer + 1}, neuron ${unit + 1}: edit its bias and incoming weights`,
          bias: true,
        });
        node.button.dataset.layer = layer;
        node.button.dataset.unit = unit;
        node.button.addEventListener("click", () => {
          this.hideCard();
          this.callbacks.onEditNeuron(layer, unit);
        });
        node.button.addEventListener("mouseenter", (event) => {
          this.showNeuronCard(event, layer, unit);
          this.callbacks.onPreview?.(this.maps?.hidden?.[layer]?.[unit] ?? null);
        });
        node.button.addEventListener("mouseleave", () => {
          this.hideCard();
          this.callbacks.onPreview?.(null);
        });
        column.push(node);
      }
      this.nodes.push(column);
    });

    // The output unit(s): small circles; click edits the output bias (and incoming weights).
    const outputLayer = s.hidden.length;
    const outputs = Math.max(s.outputs, 1);
    const outputSpacing = Math.max(spacing, OUTPUT_SIZE + 10);
    const outputTop = TOP + (largest * spacing) / 2 - (outputs * outputSpacing) / 2 + (outputSpacing - OUTPUT_SIZE) / 2;
    const outputColumn = [];
    for (let unit = 0; unit < outputs; unit++) {
      const name = s.outputNames?.[unit] ?? (outputs === 1 ? "output" : `class ${unit}`);
      const node = this.makeNode({
        x: xs[columns - 1], y: outputTop + unit * outputSpacing, size: OUTPUT_SIZE,
        classes: ["output-node"], label: `Output ${name}: edit its bias and incoming weights`, bias: false, canvas: false,
      });
      node.button.dataset.layer = outputLayer;
      node.button.dataset.unit = unit;
      if (outputs > 1) {   // one unit per class: ring it in its class colour
        node.button.style.borderColor = CLASS_COLOURS[unit % CLASS_COLOURS.length];
        node.button.style.borderWidth = "3px";
      }
      node.button.addEventListener("click", () => {
        this.hideCard();
        this.callbacks.onEditNeuron(outputLayer, unit);
      });
      node.button.addEventListener("mouseenter", (event) => this.showNeuronCard(event, outputLayer, unit));
      node.button.addEventListener("mouseleave", () => this.hideCard());
      const label = document.createElement("span");
      label.className = "output-label";
      label.textContent = name;
      label.style.left = `${xs[columns - 1] + OUTPUT_SIZE + 4}px`;
      label.style.top = `${outputTop + unit * outputSpacing + 2}px`;
      this.container.append(label);
      outputColumn.push(node);
    }
    this.nodes.push(outputColumn);

    // Links between consecutive columns (from active features only).
    const sources0 = featureNodes.filter((node) => node.active);
    const columnsOfSources = [sources0, ...this.nodes.slice(1, -1)];
    columnsOfSources.forEach((sources, layer) => {
      const targets = this.nodes[layer + 1];
      sources.forEach((from, source) => {
        targets.forEach((to, target) => this.addLink(layer, source, target, from, to));
      });
    });
    this.paint();
  }

  makeNode({ x, y, size, classes, label, bias = false, canvas = true }) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = ["neuron", ...classes].join(" ");
    button.style.left = `${x}px`;
    button.style.top = `${y}px`;
    button.style.width = `${size}px`;
    button.style.height = `${size}px`;
    button.setAttribute("aria-label", label);
    let canvasElement = null;
    if (canvas) {
      canvasElement = document.createElement("canvas");
      canvasElement.width = 20;
      canvasElement.height = 20;
      button.append(canvasElement);
    }
    let biasElement = null;
    if (bias) {
      biasElement = document.createElement("span");
      biasElement.className = "bias";
      button.append(biasElement);
    }
    this.container.append(button);
    return { button, canvas: canvasElement, bias: biasElement, x, y, size };
  }

  addLayerControls(centre, layer, size, s) {
    const box = document.createElement("div");
    box.className = "layer-controls";
    box.dataset.control = "hidden";
    box.style.position = "absolute";
    box.style.top = "0";
    box.style.left = `${centre}px`;
    box.style.transform = "translateX(-50%)";
    const plus = document.createElement("button");
    plus.type = "button";
    plus.className = "round tiny";
    plus.textContent = "+";
    plus.setAttribute("aria-label", `Add a neuron to hidden layer ${layer + 1}`);
    plus.disabled = size >= (s.maxNeurons || 64);
    plus.addEventListener("click", () => this.callbacks.onResizeLayer(layer, +1));
    const minus = document.createElement("button");
    minus.type = "button";
    minus.className = "round tiny";
    minus.textContent = "−";
    minus.setAttribute("aria-label", `Remove a neuron from hidden layer ${layer + 1}`);
    minus.disabled = size <= 1;
    minus.addEventListener("click", () => this.callbacks.onResizeLayer(layer, -1));
    const buttons = document.createElement("div");
    buttons.className = "layer-buttons";
    buttons.append(plus, minus);
    const text = document.createElement("span");
    text.className = "layer-size";
    text.textContent = `${size} neuron${size === 1 ? "" : "s"}`;
    box.append(buttons, text);
    this.container.append(box);
  }

  addLink(layer, source, target, from, to) {
    const x1 = from.x + from.size;
    const y1 = from.y + from.size / 2;
    const x2 = to.x;
    const y2 = to.y + to.size / 2;
    const middle = (x1 + x2) / 2;
    const d = `M${x1},${y1} C${middle},${y1} ${middle},${y2} ${x2},${y2}`;
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    path.classList.add("link");
    path.style.pointerEvents = "none";
    const hit = document.createElementNS(SVG, "path");
    hit.setAttribute("d", d);
    hit.classList.add("hit");
    const link = { layer, source, target, path, hit };
    hit.addEventListener("mouseenter", (event) => {
      path.classList.add("highlight");
      this.showWeightCard(event, link);
    });
    hit.addEventListener("mousemove", (event) => this.moveCard(event));
    hit.addEventListener("mouseleave", () => {
      path.classList.remove("highlight");
      this.hideCard();
    });
    hit.addEventListener("click", () => {
      this.hideCard();
      this.callbacks.onEditWeight(layer, source, target);
    });
    this.svg.append(path, hit);
    this.links.push(link);
  }

  /** New weights, biases and neuron maps from a frame. */
  update({ weights, biases, maps }) {
    if (weights) this.weights = weights;
    if (biases) this.biases = biases;
    if (maps) this.maps = maps;
    this.paint();
  }

  paint() {
    for (const link of this.links) {
      const weight = this.weights?.[link.layer]?.[link.source]?.[link.target];
      if (weight === undefined) {
        link.path.setAttribute("stroke", "#ccc");
        link.path.setAttribute("stroke-width", "1");
        continue;
      }
      link.path.setAttribute("stroke", cssColour(divergingColour(weight)));
      link.path.setAttribute("stroke-width", linkWidth(weight).toFixed(2));
      link.path.setAttribute("stroke-opacity", "0.85");
    }
    const maps = this.maps;
    if (maps) {
      this.nodes[0].filter((node) => node.active).forEach((node, i) => {
        if (maps.inputs?.[i]) paintSigned(node.canvas, maps.inputs[i]);
      });
      this.nodes.slice(1, -1).forEach((column, layer) => column.forEach((node, unit) => {
        const grid = maps.hidden?.[layer]?.[unit];
        if (grid) paintSigned(node.canvas, grid);
      }));
    }
    this.nodes.slice(1).forEach((column, layer) => column.forEach((node, unit) => {
      const bias = this.biases?.[layer]?.[unit];
      if (bias === undefined) return;
      const colour = cssColour(divergingColour(bias));
      if (node.bias) node.bias.style.background = colour;
      else node.button.style.background = colour;   // the output node is coloured by its bias
    }));
  }

  describeSource(layer, source) {
    if (layer === 0) return prettyFeature(this.structure.active[source] ?? `input ${source + 1}`, this.structure.columnNames);
    return `neuron ${layer},${source + 1}`;
  }

  describeTarget(layer, target) {
    if (layer === this.structure.hidden.length) {
      return this.structure.outputs > 1 ? `output ${this.structure.outputNames?.[target] ?? target}` : "output";
    }
    return `neuron ${layer + 1},${target + 1}`;
  }

  showWeightCard(event, link) {
    const weight = this.weights?.[link.layer]?.[link.source]?.[link.target];
    this.hovercard.textContent = `Weight ${this.describeSource(link.layer, link.source)} → ` +
      `${this.describeTarget(link.layer, link.target)}: ${formatNumber(weight)}  (click to edit)`;
    this.hovercard.hidden = false;
    this.moveCard(event);
  }

  showNeuronCard(event, layer, unit) {
    const bias = this.biases?.[layer]?.[unit];
    this.hovercard.textContent = `${capitalise(this.describeTarget(layer, unit))} — bias ${formatNumber(bias)}` +
      "  (click to edit)";
    this.hovercard.hidden = false;
    this.moveCard(event);
  }

  moveCard(event) {
    this.hovercard.style.left = `${event.clientX + 14}px`;
    this.hovercard.style.top = `${event.clientY + 14}px`;
  }

  hideCard() {
    this.hovercard.hidden = true;
  }
}

/** A feature's name as the page shows it: x1² for x1^2, and a CSV's own column names for x1, x2, ... */
export function prettyFeature(name, columnNames = null) {
  let text = String(name);
  if (columnNames) text = text.replace(/x(\d+)/g, (whole, index) => columnNames[Number(index) - 1] ?? whole);
  return text.replace(/\^2/g, "²").replace(/\*/g, "·");
}

function capitalise(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
