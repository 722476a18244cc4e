// The weight and bias editor: a modal <dialog> with one number field per value. Only changed
// fields are sent. Keyboard: Tab between fields, Enter applies, Escape cancels.

import { formatNumber } from "./network-view.js";

export function openEditor({ title, fields }) {
  const dialog = document.getElementById("editor");
  const form = document.getElementById("editor-form");
  document.getElementById("editor-title").textContent = title;
  const box = document.getElementById("editor-fields");
  box.replaceChildren();
  const inputs = fields.map((field, index) => {
    const id = `editor-field-${index}`;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = field.label;
    const input = document.createElement("input");
    input.type = "number";
    input.step = "any";
    input.id = id;
    input.dataset.name = field.name ?? field.label;
    input.value = Number.isFinite(field.value) ? String(Number(field.value.toPrecision(6))) : "";
    input.title = `now ${formatNumber(field.value, 4)}`;
    box.append(label, input);
    return { field, input, initial: input.value };
  });
  const onClose = () => {
    dialog.removeEventListener("close", onClose);
    if (dialog.returnValue !== "apply") return;
    for (const { field, input, initial } of inputs) {
      if (input.value === initial || input.value.trim() === "") continue;
      const value = Number(input.value);
      if (Number.isFinite(value)) field.apply(value);
    }
  };
  dialog.returnValue = "";
  dialog.addEventListener("close", onClose);
  form.onkeydown = (event) => {
    if (event.key === "Enter" && event.target.tagName === "INPUT") {
      event.preventDefault();
      dialog.close("apply");
    }
  };
  dialog.showModal();
  inputs[0]?.input.focus();
  inputs[0]?.input.select();
}
