// Colours and canvas drawing for every map on the page: the output, each neuron, each feature.
// TF Playground's scale: orange (−1) ↔ light grey (0) ↔ blue (+1), clamped.

export const ORANGE = [245, 147, 34];   // #f59322, negative values, class 0
export const BLUE = [8, 119, 189];      // #0877bd, positive values, class 1
export const NEUTRAL = [232, 234, 235]; // #e8eaeb
export const CLASS_COLOURS = ["#f59322", "#0877bd", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#17becf", "#1f3a93"];

export function hexToRgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function mix(a, b, t) {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/** RGB for a value on the diverging scale; `strength` < 1 keeps the ends lighter (backgrounds). */
export function divergingColour(value, strength = 1) {
  if (!Number.isFinite(value)) return [200, 200, 200];
  const t = Math.max(-1, Math.min(1, value));
  return t < 0 ? mix(NEUTRAL, ORANGE, -t * strength) : mix(NEUTRAL, BLUE, t * strength);
}

export function cssColour(rgb) {
  return `rgb(${Math.round(rgb[0])},${Math.round(rgb[1])},${Math.round(rgb[2])})`;
}

/**
 * Paint a square grid (row-major, `resolution`² values, row 0 at the top of the plane) onto a
 * canvas whose pixel size is the grid's; CSS scales it up smoothly.
 * `colour(value, index)` returns [r, g, b].
 */
export function paintGrid(canvas, values, colour) {
  const resolution = Math.round(Math.sqrt(values.length));
  if (!resolution) return;
  if (canvas.width !== resolution || canvas.height !== resolution) {
    canvas.width = resolution;
    canvas.height = resolution;
  }
  const context = canvas.getContext("2d");
  const image = context.createImageData(resolution, resolution);
  for (let i = 0; i < resolution * resolution; i++) {
    const rgb = colour(values[i], i);
    image.data[4 * i] = rgb[0];
    image.data[4 * i + 1] = rgb[1];
    image.data[4 * i + 2] = rgb[2];
    image.data[4 * i + 3] = 255;
  }
  context.putImageData(image, 0, 0);
}

/** A neuron or feature thumbnail: values on the diverging scale. */
export function paintSigned(canvas, values, scale = 1) {
  paintGrid(canvas, values, (v) => divergingColour(v / scale));
}

/** Bring a grid's values into [-1, 1] by its largest magnitude (for maps with no natural scale). */
export function normalise(values) {
  let largest = 0;
  for (const v of values) if (Number.isFinite(v)) largest = Math.max(largest, Math.abs(v));
  return largest > 0 ? values.map((v) => v / largest) : values;
}

/** The seven input features as functions of the plane, for the feature thumbnails the server does not send. */
export const FEATURE_FUNCTIONS = {
  "x1": (x1, x2) => x1,
  "x2": (x1, x2) => x2,
  "x1^2": (x1, x2) => x1 * x1,
  "x2^2": (x1, x2) => x2 * x2,
  "x1*x2": (x1, x2) => x1 * x2,
  "sin(x1)": (x1, x2) => Math.sin(x1),
  "sin(x2)": (x1, x2) => Math.sin(x2),
};

/** A feature's map over the plane [x_min, x_max] × [y_min, y_max], row 0 at the top, scaled to [-1, 1]. */
export function featureGrid(name, extent, resolution = 20) {
  const f = FEATURE_FUNCTIONS[name];
  const values = new Float32Array(resolution * resolution);
  if (!f) return values;
  const [xMin, xMax, yMin, yMax] = extent;
  for (let row = 0; row < resolution; row++) {
    const x2 = yMax - ((row + 0.5) / resolution) * (yMax - yMin);
    for (let col = 0; col < resolution; col++) {
      const x1 = xMin + ((col + 0.5) / resolution) * (xMax - xMin);
      values[row * resolution + col] = f(x1, x2);
    }
  }
  const scaled = normalise(values);
  // Squares are never negative: stretch them over the whole scale so the picture shows their shape.
  if (name.endsWith("^2")) for (let i = 0; i < scaled.length; i++) scaled[i] = 2 * scaled[i] - 1;
  return scaled;
}

/** Draw the colour scale bar of the output. */
export function paintScaleBar(canvas, colourOf) {
  const context = canvas.getContext("2d");
  for (let x = 0; x < canvas.width; x++) {
    context.fillStyle = cssColour(colourOf(x / (canvas.width - 1)));
    context.fillRect(x, 0, 1, canvas.height);
  }
}
