// The 2-D slice controls under the output map. A CSV with more than two feature columns is drawn on
// the plane of its first two; every other column is held at one value (the training mean unless the
// learner moves its slider). The server owns the slice (docs/playground-protocol.md, `slice`): the
// page sends the values and shows what the next `data` message's `slice` says.

// While dragging, at most one `slice` message per this many milliseconds: each one costs the server
// a full forward pass over the map, and the eye does not need more.
const SEND_INTERVAL_MS = 100;

/**
 * A slider step that gives between 100 and 1000 stops over the range, as a power of ten, so the
 * values a learner picks read as short decimals (12.3, not 12.297…).
 */
export function sliceStep(low, high) {
  const span = high - low;
  if (!(span > 0)) return 0.01;
  return 10 ** Math.floor(Math.log10(span / 100));
}

/** The decimals a step needs: 0.1 → 1, 0.01 → 2, 10 → 0. */
function decimalsOf(step) {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

/** A slider value on the step's grid: the range input counts from its minimum, so 0.1 steps drift. */
function roundToStep(value, step) {
  return Number(value.toFixed(decimalsOf(step)));
}

/** A value with a true minus sign (the hyphen reads as a dash beside a number). */
function signed(text) {
  return text.replace(/^-/, "−");
}

export class SliceControls {
  /** box: the block (hidden when there is no slice); list: where the sliders go; onSend(values). */
  constructor(box, list, onSend) {
    this.box = box;
    this.list = list;
    this.onSend = onSend;
    this.controls = [];        // the server's slice entries, one per extra column
    this.rows = [];            // per entry: {element, input, shown, note, mean, step}
    this.values = [];          // per entry: the held number, or null for the training mean
    this.unanswered = 0;       // `slice` messages sent whose `data` reply has not come yet
    this.lastSent = 0;
    this.timer = null;         // a send waiting for the end of the throttle interval
    this.lastValues = null;    // what the last message sent
  }

  /**
   * The server's `data.slice` (or nothing): rebuild the sliders when the columns change, else update them.
   * `isReply`: this `data` answers one of our `slice` messages (other `data` messages answer points or settings).
   */
  show(controls, isReply = false) {
    const entries = Array.isArray(controls) ? controls : [];
    const columnsChanged = JSON.stringify(entries.map((entry) => [entry.name, entry.low, entry.high])) !==
      JSON.stringify(this.controls.map((entry) => [entry.name, entry.low, entry.high]));
    this.controls = entries;
    this.box.hidden = entries.length === 0;
    if (columnsChanged) {
      this.cancelPending();
      this.build();
    } else if (isReply && this.unanswered > 0) {
      // Replies to earlier values are still coming: showing this one would pull the thumb back
      // under the learner's hand. The last reply shows the truth.
      this.unanswered -= 1;
      if (this.unanswered > 0 || this.timer) return;
    }
    this.values = entries.map((entry) => (entry.held ? entry.value : null));
    entries.forEach((entry, index) => this.showEntry(index));
  }

  /** The server refused a `slice` message: it sends no `data`, so count the reply as come. */
  refused() {
    this.unanswered = Math.max(0, this.unanswered - 1);
    if (this.unanswered === 0) this.show(this.controls);
  }

  cancelPending() {
    clearTimeout(this.timer);
    this.timer = null;
    this.unanswered = 0;
  }

  build() {
    this.rows = this.controls.map((entry, index) => this.buildRow(entry, index));
    this.list.replaceChildren(...this.rows.map((row) => row.element));
  }

  buildRow(entry, index) {
    const id = `slice-${index}`;
    const step = sliceStep(entry.low, entry.high);
    // A column with one value has no range to slide over; give the thumb one step either side.
    const [low, high] = entry.high > entry.low ? [entry.low, entry.high] : [entry.low - step, entry.high + step];

    const element = document.createElement("div");
    element.className = "slider slice-row";
    const label = document.createElement("label");
    label.htmlFor = id;
    const shown = document.createElement("output");
    shown.htmlFor = id;
    shown.className = "slice-value";
    const note = document.createElement("span");
    note.className = "slice-note";
    note.textContent = " (the training mean)";
    label.append(`${entry.name}: `, shown, note);

    const input = document.createElement("input");
    input.type = "range";
    input.id = id;
    input.min = String(low);
    input.max = String(high);
    input.step = String(step);
    input.addEventListener("input", () => this.moved(index, false));
    input.addEventListener("change", () => this.moved(index, true));

    // The training range's ends under the slider's ends (the input's min and max tell screen readers).
    const range = document.createElement("div");
    range.className = "slice-range";
    range.setAttribute("aria-hidden", "true");
    for (const end of [entry.low, entry.high]) {
      const text = document.createElement("span");
      text.textContent = this.exact(end);
      range.append(text);
    }
    const track = document.createElement("div");
    track.className = "slice-track";
    track.append(input, this.meanTick(entry, low, high), range);

    const mean = document.createElement("button");
    mean.type = "button";
    mean.className = "slice-mean";
    mean.textContent = "mean";
    mean.addEventListener("click", () => this.backToMean(index));

    const line = document.createElement("div");
    line.className = "slice-line";
    line.append(track, mean);
    element.append(label, line);
    return { element, input, shown, note, mean, step };
  }

  /** A small mark under the track where the mean lies, so the learner sees how far the slice moved. */
  meanTick(entry, low, high) {
    const tick = document.createElement("span");
    tick.className = "slice-mean-tick";
    tick.setAttribute("aria-hidden", "true");
    tick.title = `mean ${this.exact(entry.mean)}`;
    tick.style.setProperty("--at", String((entry.mean - low) / (high - low)));
    return tick;
  }

  /** Show one entry's value: the thumb, the number, and whether "mean" has anything to undo. */
  showEntry(index) {
    const entry = this.controls[index];
    const row = this.rows[index];
    if (!entry || !row) return;
    const held = this.values[index] !== null;
    const value = held ? this.values[index] : entry.mean;
    row.input.value = String(value);
    this.showValue(index, value, held);
    row.mean.title = `Back to the training mean of ${entry.name} (${this.exact(entry.mean)})`;
    row.mean.setAttribute("aria-label", row.mean.title);
  }

  /**
   * The number beside the name (also what a screen reader says for the slider): a held value is on
   * the slider's grid, so it shows in full; the mean, rarely short, in six digits.
   */
  showValue(index, value, held) {
    const row = this.rows[index];
    row.shown.textContent = held ? signed(String(value)) : this.exact(value);
    row.note.hidden = held;
    row.input.setAttribute("aria-valuetext",
      `${this.controls[index].name} ${row.shown.textContent}${held ? "" : ", the training mean"}`);
    row.mean.disabled = !held;
    row.element.classList.toggle("held", held);
  }

  exact(value) {
    return signed(String(Number(value.toPrecision(6))));
  }

  /** The learner moved a slider: hold that column there and tell the server (throttled while dragging). */
  moved(index, finished) {
    const row = this.rows[index];
    this.values[index] = roundToStep(Number(row.input.value), row.step);
    this.showValue(index, this.values[index], true);
    if (!finished) this.sendSoon();
    else if (this.timer || !this.alreadySent()) this.sendNow();
  }

  /** A key press fires `input` and then `change` with the same value: one message is enough. */
  alreadySent() {
    return JSON.stringify(this.values) === JSON.stringify(this.lastValues);
  }

  backToMean(index) {
    this.values[index] = null;
    this.showEntry(index);
    this.sendNow();
    this.rows[index].input.focus();   // the disabled button would drop the keyboard focus to the page
  }

  sendSoon() {
    if (this.timer) return;   // the waiting send reads the values when it goes, so it takes this move too
    const wait = this.lastSent + SEND_INTERVAL_MS - performance.now();
    if (wait <= 0) this.sendNow();
    else this.timer = setTimeout(() => this.sendNow(), wait);
  }

  sendNow() {
    clearTimeout(this.timer);
    this.timer = null;
    this.lastSent = performance.now();
    this.lastValues = [...this.values];
    this.unanswered += 1;
    this.onSend([...this.values]);
  }
}
