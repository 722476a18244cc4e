// One WebSocket per tab (docs/playground-protocol.md). Messages are JSON objects with a "type";
// handlers are registered per type. Messages sent before the socket opens wait in a queue.
// Frames come as binary messages (their numbers are most of the traffic); the rest is JSON text.

export class PlaygroundSocket {
  constructor(path = "/ws") {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.url = `${scheme}//${location.host}${path}`;
    this.handlers = new Map();
    this.queue = [];
    this.socket = null;
    this.onstatus = () => {};
  }

  on(type, handler) {
    if (!this.handlers.has(type)) this.handlers.set(type, []);
    this.handlers.get(type).push(handler);
    return this;
  }

  connect() {
    this.onstatus("connecting");
    const socket = new WebSocket(this.url);
    socket.binaryType = "arraybuffer";   // a Blob would need an async read before the frame could be drawn
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.onstatus("open");
      for (const message of this.queue.splice(0)) socket.send(JSON.stringify(message));
    });
    socket.addEventListener("message", (event) => this.receive(event.data));
    socket.addEventListener("close", () => this.onstatus("closed"));
    socket.addEventListener("error", () => this.onstatus("error"));
  }

  receive(data) {
    const message = data instanceof ArrayBuffer ? readBinary(data) : readText(data);
    if (message) this.dispatch(message);
  }

  dispatch(message) {
    for (const handler of this.handlers.get(message.type) || []) handler(message);
    for (const handler of this.handlers.get("*") || []) handler(message);
  }

  send(type, fields = {}) {
    const message = { type, ...fields };
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    } else {
      this.queue.push(message);
    }
  }
}

function readText(text) {
  try {
    return JSON.parse(text);
  } catch {
    console.warn("playground: a message that is not JSON was ignored");
    return null;
  }
}

function readBinary(buffer) {
  try {
    return readFrame(buffer);
  } catch (error) {
    console.warn(`playground: a binary message that is not a frame was ignored (${error.message})`);
    return null;
  }
}

/**
 * A binary frame (docs/playground-protocol.md): a little-endian uint32 H, H bytes of JSON header
 * padded with spaces so the numbers start on a 4-byte boundary, then little-endian float32 numbers.
 * The header's `arrays` give each array's [start, count] in numbers; the frame gets Float32Array
 * views on the buffer for them, no copies. (Every browser the page runs on is little-endian, which
 * Float32Array views assume.)
 */
export function readFrame(buffer) {
  const headerLength = new DataView(buffer).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, headerLength)));
  const numbersStart = 4 + headerLength;
  const view = ([start, count]) => new Float32Array(buffer, numbersStart + 4 * start, count);
  const arrays = header.arrays;
  return {
    ...header,
    parameters: view(arrays.parameters),
    output: view(arrays.output),
    neurons: { inputs: view(arrays.inputs), hidden: arrays.hidden.map(view) },
  };
}
