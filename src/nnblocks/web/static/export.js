// Export buttons: ask the server for Python code, PyTorch code or the model files, then hand the
// reply to the browser as a download (text as is, the model zip from base64).

const TYPES = {
  python: "text/x-python",
  torch: "text/x-python",
  model: "application/zip",
};

export function setUpExports(socket, root = document) {
  for (const button of root.querySelectorAll("[data-export]")) {
    button.addEventListener("click", () => socket.send("export", { format: button.dataset.export }));
  }
  socket.on("export", (message) => download(message));
}

function bytesFromBase64(base64) {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function download(message) {
  const format = message.format || (String(message.filename).endsWith(".zip") ? "model" : "python");
  const binary = format === "model" || message.encoding === "base64";
  const body = binary ? bytesFromBase64(message.content) : message.content;
  const blob = new Blob([body], { type: TYPES[format] || "application/octet-stream" });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = message.filename || (format === "model" ? "model.zip" : "playground.py");
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
