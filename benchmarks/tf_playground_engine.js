/*
 * The engine work of one TensorFlow Playground animation step, hand-written in plain JavaScript for
 * a same-run speed comparison with our server (tf_playground_baseline.py drives it in headless
 * Chromium). A re-implementation in our own words, not TF Playground's code. It keeps their style
 * on purpose, since that style is what their step costs: Node and Link objects, one example at a
 * time, activations as objects of closures, a fresh input array per point built from a dictionary
 * of feature functions, d3-style scales for the grid, a 100 x 100 decision boundary per node id in
 * holey arrays, and a 10 x 10 thumbnail averaged out of it for every canvas (each hidden and output
 * node, and the seven input features). Nothing is vectorised or tuned.
 * Left out: everything that draws (DOM, SVG, canvas: heat maps, link widths, the loss chart).
 * Math.random is replaced by a small seeded generator so that runs repeat.
 * Exposes window.tfPlaygroundEngine (at the bottom).
 */
(function () {
  "use strict";

  // mulberry32: a tiny 32-bit generator, good enough for initial weights and a shuffle.
  function makeRandom(seed) {
    let state = seed >>> 0;
    return function () {
      state = (state + 0x6d2b79f5) >>> 0;
      let mixed = state;
      mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
      mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
      return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
    };
  }

  const TANH = { output: (x) => Math.tanh(x), der: (x) => { const o = Math.tanh(x); return 1 - o * o; } };
  const SQUARE_ERROR = {
    error: (output, target) => 0.5 * Math.pow(output - target, 2), der: (output, target) => output - target,
  };

  // The input features the playground offers; a step only turns on x and y.
  const FEATURES = {
    x: (x, y) => x, y: (x, y) => y, xSquared: (x, y) => x * x, ySquared: (x, y) => y * y,
    xTimesY: (x, y) => x * y, sinX: (x, y) => Math.sin(x), sinY: (x, y) => Math.sin(y),
  };
  const ENABLED = { x: true, y: true, xSquared: false, ySquared: false, xTimesY: false, sinX: false, sinY: false };

  function constructInput(x, y) {
    const input = [];
    for (const name in FEATURES) if (ENABLED[name]) input.push(FEATURES[name](x, y));
    return input;
  }

  function Node(id, activation) {
    this.id = id; this.inputLinks = []; this.outputs = []; this.bias = 0.1;
    this.totalInput = 0; this.output = 0; this.outputDer = 0; this.inputDer = 0;
    this.accInputDer = 0; this.numAccumulatedDers = 0; this.activation = activation;
  }
  Node.prototype.updateOutput = function () {
    this.totalInput = this.bias;   // accumulated on the node itself, as the playground does
    for (let k = 0; k < this.inputLinks.length; k++) {
      const link = this.inputLinks[k];
      this.totalInput += link.weight * link.source.output;
    }
    this.output = this.activation.output(this.totalInput);
    return this.output;
  };

  function Link(source, dest, regularization, random) {
    this.id = source.id + "-" + dest.id; this.source = source; this.dest = dest;
    this.weight = random() - 0.5; this.errorDer = 0; this.accErrorDer = 0; this.numAccumulatedDers = 0;
    this.regularization = regularization;
  }

  // Layer sizes include the inputs and the one output node. Input nodes are named after their
  // feature; the others are numbered "1", "2", ... as in the playground.
  function buildNetwork(layerSizes, inputIds, random) {
    const network = [];
    let nextId = 1;
    for (let layerIndex = 0; layerIndex < layerSizes.length; layerIndex++) {
      const layer = [];
      for (let k = 0; k < layerSizes[layerIndex]; k++) {
        const id = layerIndex === 0 ? inputIds[k] : String(nextId++);
        const node = new Node(id, TANH);
        if (layerIndex > 0) {
          const previous = network[layerIndex - 1];
          for (let p = 0; p < previous.length; p++) {
            const link = new Link(previous[p], node, null, random);
            previous[p].outputs.push(link);
            node.inputLinks.push(link);
          }
        }
        layer.push(node);
      }
      network.push(layer);
    }
    return network;
  }

  function forwardProp(network, inputs) {
    const inputLayer = network[0];
    for (let k = 0; k < inputLayer.length; k++) inputLayer[k].output = inputs[k];
    for (let layerIndex = 1; layerIndex < network.length; layerIndex++) {
      for (let k = 0; k < network[layerIndex].length; k++) network[layerIndex][k].updateOutput();
    }
    return network[network.length - 1][0].output;
  }

  function backProp(network, target, errorFunction) {
    const outputNode = network[network.length - 1][0];
    outputNode.outputDer = errorFunction.der(outputNode.output, target);
    for (let layerIndex = network.length - 1; layerIndex >= 1; layerIndex--) {
      const layer = network[layerIndex];
      for (let k = 0; k < layer.length; k++) {
        const node = layer[k];
        node.inputDer = node.outputDer * node.activation.der(node.totalInput);
        node.accInputDer += node.inputDer;
        node.numAccumulatedDers++;
      }
      for (let k = 0; k < layer.length; k++) {
        const node = layer[k];
        for (let m = 0; m < node.inputLinks.length; m++) {
          const link = node.inputLinks[m];
          link.errorDer = node.inputDer * link.source.output;
          link.accErrorDer += link.errorDer;
          link.numAccumulatedDers++;
        }
      }
      if (layerIndex === 1) continue;
      const previous = network[layerIndex - 1];
      for (let k = 0; k < previous.length; k++) {
        const node = previous[k];
        node.outputDer = 0;
        const links = node.outputs;
        for (let m = 0; m < links.length; m++) node.outputDer += links[m].weight * links[m].dest.inputDer;
      }
    }
  }

  function updateWeights(network, learningRate, regularizationRate) {
    for (let layerIndex = 1; layerIndex < network.length; layerIndex++) {
      const layer = network[layerIndex];
      for (let k = 0; k < layer.length; k++) {
        const node = layer[k];
        if (node.numAccumulatedDers > 0) {
          node.bias -= learningRate * node.accInputDer / node.numAccumulatedDers;
          node.accInputDer = 0; node.numAccumulatedDers = 0;
        }
        for (let m = 0; m < node.inputLinks.length; m++) {
          const link = node.inputLinks[m];
          const regularizationDer = link.regularization ? link.regularization.der(link.weight) : 0;
          if (link.numAccumulatedDers > 0) {
            link.weight -= (learningRate / link.numAccumulatedDers) *
              (link.accErrorDer + regularizationRate * regularizationDer);
            link.accErrorDer = 0; link.numAccumulatedDers = 0;
          }
        }
      }
    }
  }

  function forEachNode(network, ignoreInputs, callback) {
    for (let layerIndex = ignoreInputs ? 1 : 0; layerIndex < network.length; layerIndex++) {
      for (let k = 0; k < network[layerIndex].length; k++) callback(network[layerIndex][k]);
    }
  }

  // Two spiral arms of 250 points each, labels +1 and -1, no noise.
  function spiralData(random) {
    const points = [], perArm = 250;
    const addArm = function (deltaT, label) {
      for (let i = 0; i < perArm; i++) {
        const radius = i / perArm * 5;
        const angle = 1.75 * i / perArm * 2 * Math.PI + deltaT;
        points.push({ x: radius * Math.sin(angle), y: radius * Math.cos(angle), label: label });
      }
    };
    addArm(0, 1); addArm(Math.PI, -1);
    for (let i = points.length - 1; i > 0; i--) {  // Fisher-Yates
      const j = Math.floor(random() * (i + 1));
      const swap = points[i]; points[i] = points[j]; points[j] = swap;
    }
    return points;
  }

  function getLoss(network, points) {
    let loss = 0;
    for (let i = 0; i < points.length; i++) {
      loss += SQUARE_ERROR.error(forwardProp(network, constructInput(points[i].x, points[i].y)), points[i].label);
    }
    return loss / points.length;
  }

  // Average each factor x factor block of a square matrix (what a node's thumbnail shows).
  function reduceMatrix(matrix, factor) {
    const reduced = [];
    for (let i = 0; i < matrix.length; i += factor) {
      const row = [];
      for (let j = 0; j < matrix.length; j += factor) {
        let sum = 0;
        for (let a = 0; a < factor; a++) for (let b = 0; b < factor; b++) sum += matrix[i + a][j + b];
        row.push(sum / (factor * factor));
      }
      reduced.push(row);
    }
    return reduced;
  }

  const DENSITY = 100, DOMAIN = 6, BATCH_SIZE = 10, LEARNING_RATE = 0.03, REGULARIZATION_RATE = 0;

  let network = null, trainData = null, testData = null, boundary = null;
  let thumbnails = {}, lossTrain = 0, lossTest = 0, iteration = 0;

  // A linear scale built like d3 v3's (which the playground uses to place the grid's points): the
  // domain value is "uninterpolated" to t in [0, 1], then t interpolated into the range, each by a closure.
  function linearScale(domain, range) {
    const uninterpolate = (function (start, end) { const span = end - start; return (x) => (x - start) / span; })(domain[0], domain[1]);
    const interpolate = (function (start, end) { return (t) => start * (1 - t) + end * t; })(range[0], range[1]);
    return function (x) { return interpolate(uninterpolate(x)); };
  }
  const xScale = linearScale([0, DENSITY - 1], [-DOMAIN, DOMAIN]);
  const yScale = linearScale([DENSITY - 1, 0], [-DOMAIN, DOMAIN]);

  function updateDecisionBoundary() {
    const firstTime = boundary === null;
    if (firstTime) {  // allocated once, on the first step, as rows of new Array(DENSITY) (holey, as theirs)
      boundary = {};
      forEachNode(network, true, function (node) {
        boundary[node.id] = [];
        for (let i = 0; i < DENSITY; i++) boundary[node.id].push(new Array(DENSITY));
      });
      for (const name in FEATURES) {  // every feature's map too (filled once; thumbnailed every step)
        boundary[name] = [];
        for (let i = 0; i < DENSITY; i++) boundary[name].push(new Array(DENSITY));
      }
    }
    for (let i = 0; i < DENSITY; i++) {
      for (let j = 0; j < DENSITY; j++) {
        const x = xScale(i);
        const y = yScale(j);
        forwardProp(network, constructInput(x, y));
        forEachNode(network, true, function (node) { boundary[node.id][i][j] = node.output; });
        if (firstTime) for (const name in FEATURES) boundary[name][i][j] = FEATURES[name](x, y);
      }
    }
  }

  function oneStep() {
    iteration++;
    trainData.forEach(function (point, i) {
      forwardProp(network, constructInput(point.x, point.y));
      backProp(network, point.label, SQUARE_ERROR);
      if ((i + 1) % BATCH_SIZE === 0) updateWeights(network, LEARNING_RATE, REGULARIZATION_RATE);
    });
    lossTrain = getLoss(network, trainData);
    lossTest = getLoss(network, testData);
    updateDecisionBoundary();
    // Every node's canvas, the seven feature canvases included, gets its thumbnail each step.
    for (const id in boundary) thumbnails[id] = reduceMatrix(boundary[id], 10);
  }

  // Helpers for the checks, outside the timed step.
  function readOut(ofNode, ofLink) {
    return network.slice(1).map((layer) => ({
      biases: layer.map(ofNode), weights: layer.map((node) => node.inputLinks.map(ofLink)),
    }));
  }
  function clearAccumulators() {
    forEachNode(network, true, function (node) {
      node.accInputDer = 0; node.numAccumulatedDers = 0;
      node.inputLinks.forEach((link) => { link.accErrorDer = 0; link.numAccumulatedDers = 0; });
    });
  }

  window.tfPlaygroundEngine = {
    // hidden: e.g. [8, 8, 8, 8, 8, 8]. The seed draws the shuffle first, then the weights.
    setup: function (hidden, seed) {
      const random = makeRandom(seed === undefined ? 1 : seed);
      const points = spiralData(random);
      trainData = points.slice(0, 250); testData = points.slice(250);  // half and half, as the playground's 50%
      const inputIds = Object.keys(FEATURES).filter(function (name) { return ENABLED[name]; });
      network = buildNetwork([inputIds.length].concat(hidden, [1]), inputIds, random);
      boundary = null; thumbnails = {}; iteration = 0;
    },
    // Runs count steps back to back; returns the seconds per step.
    steps: function (count) {
      const start = performance.now();
      for (let k = 0; k < count; k++) oneStep();
      return (performance.now() - start) / 1000 / count;
    },
    outputFor: (x, y) => forwardProp(network, constructInput(x, y)),
    losses: () => ({ train: lossTrain, test: lossTest, iteration: iteration }),
    // Per non-input layer: biases[node] and weights[node][source], sources in layer order.
    weights: () => readOut((node) => node.bias, (link) => link.weight),
    // One example's backProp, read out as d(error)/d(bias) and d(error)/d(weight) in the layout
    // of weights(). It clears the accumulators before and after (after a whole step they are
    // empty anyway: 250 points make 25 full batches), so training is not disturbed.
    gradientsFor: function (x, y, target) {
      clearAccumulators();
      forwardProp(network, constructInput(x, y));
      backProp(network, target, SQUARE_ERROR);
      const result = readOut((node) => node.accInputDer, (link) => link.accErrorDer);
      clearAccumulators();
      return result;
    },
    thumbnailOf: (id) => thumbnails[id],
    nodeIds: () => network.slice(1).flat().map((node) => node.id),
  };
})();
