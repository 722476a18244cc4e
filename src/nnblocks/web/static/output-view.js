// The output panel's big map: the network's output over the plane (a resolution² grid, row 0 at
// the top), the training points (white edge) and, on request, the test points (dark edge).
// Clicking on it explains a point, draws a point or erases points, depending on the mode.

import { CLASS_COLOURS, cssColour, divergingColour, hexToRgb, paintGrid, paintScaleBar } from "./heatmap.js";

const CLASS_RGB = CLASS_COLOURS.map(hexToRgb);
const BACKGROUND = 0.6;   // how far the background goes from grey to the full colour

export class OutputView {
  constructor(heatmapCanvas, pointsCanvas, scaleCanvas) {
    this.heatmap = heatmapCanvas;
    this.overlay = pointsCanvas;
    this.scaleCanvas = scaleCanvas;
    this.extent = [-6, 6, -6, 6];
    this.train = [];
    this.test = [];
    this.showTest = false;
    this.discretize = false;
    this.kind = { problem: "classification", classes: 2 };
    this.grid = null;
    this.marker = null;       // the explained point
    this.cursor = null;       // the keyboard cursor, in plane coordinates
    this.scaleOverlay();
  }

  scaleOverlay() {
    const ratio = window.devicePixelRatio || 1;
    const { width, height } = this.overlay.getBoundingClientRect();
    this.size = width || 300;
    this.overlay.width = Math.round((width || 300) * ratio);
    this.overlay.height = Math.round((height || 300) * ratio);
    this.overlay.getContext("2d").setTransform(ratio, 0, 0, ratio, 0, 0);
  }

  /** kind: {problem, classes, targetRange: [low, high] for regression} */
  setKind(kind) {
    this.kind = kind;
    this.paintScale();
  }

  setData(train, test, extent) {
    this.train = train;
    this.test = test;
    if (extent) this.extent = extent;
    this.showAxes();
    this.drawPoints();
  }

  setOptions({ showTest, discretize }) {
    this.showTest = showTest;
    this.discretize = discretize;
    this.paintGrid();
    this.drawPoints();
    this.paintScale();
  }

  /** grid: {values: Float32Array (resolution² or resolution²·K for class probabilities), classes} */
  setGrid(grid) {
    this.grid = grid;
    this.paintGrid();
  }

  /** A value scaled into [-1, 1]: probabilities from [0, 1], regression targets from their range. */
  signed(value) {
    if (this.kind.problem === "regression") {
      const [low, high] = this.kind.targetRange || [-1, 1];
      const middle = (low + high) / 2;
      const half = Math.max((high - low) / 2, 1e-9);
      return (value - middle) / half;
    }
    return 2 * value - 1;
  }

  colourOfLabel(label) {
    if (this.kind.problem === "regression") return cssColour(divergingColour(this.signed(label)));
    return CLASS_COLOURS[Math.round(label) % CLASS_COLOURS.length];
  }

  /** Show one neuron's map in the big canvas while the pointer is on that neuron (null: back to the output). */
  preview(values) {
    this.previewing = values;
    if (values) paintGrid(this.heatmap, values, (value) => divergingColour(value, BACKGROUND));
    else this.paintGrid();
  }

  paintGrid() {
    if (this.previewing) return;
    if (!this.grid) return;
    const { values, classes } = this.grid;
    if (classes > 2) {
      // K probability maps, one after the other: colour each pixel by its most likely class,
      // lighter where the network is unsure.
      const cells = values.length / classes;
      paintGrid(this.heatmap, values.subarray(0, cells), (_, i) => {
        let best = 0;
        let top = -Infinity;
        for (let k = 0; k < classes; k++) {
          const p = values[k * cells + i];
          if (p > top) { top = p; best = k; }
        }
        const strength = this.discretize ? BACKGROUND : Math.max(0, (top - 1 / classes) / (1 - 1 / classes)) * BACKGROUND;
        const rgb = CLASS_RGB[best % CLASS_RGB.length];
        return [232 + (rgb[0] - 232) * strength, 234 + (rgb[1] - 234) * strength, 235 + (rgb[2] - 235) * strength];
      });
      return;
    }
    paintGrid(this.heatmap, values, (value) => {
      let t = this.signed(value);
      if (this.discretize) t = t >= 0 ? 1 : -1;
      return divergingColour(t, BACKGROUND);
    });
  }

  paintScale() {
    const low = document.getElementById("scale-low");
    const high = document.getElementById("scale-high");
    const box = document.getElementById("colour-scale");
    if (this.kind.problem === "regression") {
      const [a, b] = this.kind.targetRange || [-1, 1];
      low.textContent = formatShort(a);
      high.textContent = formatShort(b);
    } else if ((this.kind.classes || 2) > 2) {
      box.hidden = true;
      return;
    } else {
      low.textContent = this.kind.classNames?.[0] ?? "class 0";
      high.textContent = this.kind.classNames?.[1] ?? "class 1";
    }
    box.hidden = false;
    paintScaleBar(this.scaleCanvas, (t) => divergingColour(2 * t - 1, BACKGROUND));
  }

  toPixel(x, y) {
    const [xMin, xMax, yMin, yMax] = this.extent;
    return [((x - xMin) / (xMax - xMin)) * this.size, ((yMax - y) / (yMax - yMin)) * this.size];
  }

  toPlane(px, py) {
    const [xMin, xMax, yMin, yMax] = this.extent;
    return [xMin + (px / this.size) * (xMax - xMin), yMax - (py / this.size) * (yMax - yMin)];
  }

  drawPoints() {
    const context = this.overlay.getContext("2d");
    context.clearRect(0, 0, this.size, this.size);
    const draw = (points, edge, width) => {
      for (const point of points) {
        const [px, py] = this.toPixel(point.x, point.y);
        context.beginPath();
        context.arc(px, py, 3.6, 0, 2 * Math.PI);
        context.fillStyle = this.colourOfLabel(point.label);
        context.fill();
        context.lineWidth = width;
        context.strokeStyle = edge;
        context.stroke();
      }
    };
    draw(this.train, "#fff", 1);
    if (this.showTest) draw(this.test, "#222", 1.4);
    for (const [point, colour] of [[this.marker, "#222"], [this.cursor, "#ff9f1c"]]) {
      if (!point) continue;
      const [px, py] = this.toPixel(point[0], point[1]);
      context.beginPath();
      context.arc(px, py, 8, 0, 2 * Math.PI);
      context.lineWidth = 2;
      context.strokeStyle = colour;
      context.stroke();
    }
  }

  /**
   * The plane's bounds and the axes' names, in the strips beside the map (x1 under it, x2 left of it):
   * drawn inside, the two minima met in the bottom-left corner and covered each other.
   */
  showAxes() {
    const [xMin, xMax, yMin, yMax] = this.extent;
    const [xName, yName] = this.axisNames ?? ["x1", "x2"];
    const texts = {
      "axis-x-min": formatShort(xMin), "axis-x-max": formatShort(xMax), "axis-x-name": `${xName} →`,
      "axis-y-min": formatShort(yMin), "axis-y-max": formatShort(yMax), "axis-y-name": `${yName} →`,
    };
    for (const [id, text] of Object.entries(texts)) {
      const label = document.getElementById(id);
      if (label) label.textContent = text;
    }
  }

  setMarker(point) {
    this.marker = point;
    this.drawPoints();
  }
}

/** A bound in three digits, with a true minus sign (the hyphen reads as a dash beside a number). */
function formatShort(value) {
  const text = Number.isInteger(value) ? String(value) : Number(value).toPrecision(3);
  return text.replace(/^-/, "−");
}
