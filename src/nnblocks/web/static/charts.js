// The live loss chart under the loss numbers: test loss dark, training loss grey (as TF Playground).

export class LossChart {
  constructor(canvas) {
    this.canvas = canvas;
    this.points = [];   // [epoch, train, test]
    this.scaleForScreen();
  }

  scaleForScreen() {
    const ratio = window.devicePixelRatio || 1;
    const { width, height } = this.canvas.getBoundingClientRect();
    this.width = width || 300;
    this.height = height || 64;
    this.canvas.width = Math.round(this.width * ratio);
    this.canvas.height = Math.round(this.height * ratio);
    this.canvas.getContext("2d").setTransform(ratio, 0, 0, ratio, 0, 0);
  }

  clear() {
    this.points = [];
    this.draw();
  }

  add(epoch, train, test) {
    const last = this.points[this.points.length - 1];
    if (last && epoch < last[0]) this.points = [];            // a reset: start a new curve
    if (last && epoch === last[0]) this.points.pop();          // the same epoch again (an edit): replace it
    this.points.push([epoch, train, test]);
    if (this.points.length > 2000) this.points = this.points.filter((_, i) => i % 2 === 0);  // keep it light
    this.draw();
  }

  draw() {
    const context = this.canvas.getContext("2d");
    const { width, height } = this;
    context.clearRect(0, 0, width, height);
    context.strokeStyle = "#e5e5e5";
    context.lineWidth = 1;
    context.beginPath();
    context.moveTo(0, height - 0.5);
    context.lineTo(width, height - 0.5);
    context.stroke();
    if (this.points.length < 2) {
      context.fillStyle = "#aaa";
      context.font = "11px system-ui, sans-serif";
      context.fillText("the loss curve appears as the network trains", 2, height / 2 + 4);
      return;
    }
    const finite = (v) => typeof v === "number" && Number.isFinite(v);
    const values = this.points.flatMap((p) => [p[1], p[2]]).filter(finite);
    const top = Math.max(...values, 1e-9);
    const first = this.points[0][0];
    const span = Math.max(this.points[this.points.length - 1][0] - first, 1);
    const x = (epoch) => ((epoch - first) / span) * (width - 2) + 1;
    const y = (value) => height - 2 - (value / top) * (height - 6);
    for (const [index, colour] of [[1, "#999"], [2, "#222"]]) {
      context.strokeStyle = colour;
      context.lineWidth = 1.5;
      context.beginPath();
      let started = false;
      for (const point of this.points) {
        if (!finite(point[index])) { started = false; continue; }
        if (started) context.lineTo(x(point[0]), y(point[index]));
        else context.moveTo(x(point[0]), y(point[index]));
        started = true;
      }
      context.stroke();
    }
  }
}
