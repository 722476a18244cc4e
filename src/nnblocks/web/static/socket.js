// One WebSocket per tab (docs/playground-protocol.md). Messages are JSON objects with a "type";
// handlers are registered per type. Messages sent before the socket opens wait in a queue.

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
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.onstatus("open");
      for (const message of this.queue.splice(0)) socket.send(JSON.stringify(message));
    });
    socket.addEventListener("message", (event) => this.dispatch(event.data));
    socket.addEventListener("close", () => this.onstatus("closed"));
    socket.addEventListener("error", () => this.onstatus("error"));
  }

  dispatch(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      console.warn("playground: a message that is not JSON was ignored");
      return;
    }
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
