// The chain-rule view for one clicked point. The server sends nnblocks' own explanation
// (analysis/chain_rule.py) as Markdown: headings, tables of forward and backward values per
// layer, and the chain products. A small renderer turns that Markdown into elements
// (text only, never HTML from the message), so the page shows it as tables.

import { formatNumber } from "./network-view.js";

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

// A backslash before ASCII punctuation makes it literal (CommonMark): the server writes x1\*x2 and
// a\|b so that a product or a bar in a cell is not read as emphasis or as a column break.
const ESCAPED = String.raw`\\[!-/:-@[-` + "`" + String.raw`{-~]`;
const INLINE = new RegExp([
  ESCAPED,                                                   // \* → *
  String.raw`\*\*(?:\\.|[^*\\])+\*\*`,                       // **bold** (may hold escapes)
  String.raw`\*(?:\\.|[^*\s\\])(?:\\.|[^*\\])*\*`,           // *italic*
  "`[^`]+`",                                                 // `code` (escapes stay as written)
].map((part) => `(?:${part})`).join("|"), "g");

/** Inline Markdown: **bold**, *italic*, `code` and backslash escapes; everything else stays text. */
function inline(parent, text) {
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    if (match.index > last) parent.append(text.slice(last, match.index));
    parent.append(inlineToken(match[0]));
    last = match.index + match[0].length;
  }
  if (last < text.length) parent.append(text.slice(last));
  return parent;
}

/** One matched token as a node (or text): emphasis is read again inside, for the escapes it holds. */
function inlineToken(token) {
  if (token.startsWith("\\")) return token.slice(1);
  if (token.startsWith("`")) return element("code", token.slice(1, -1));
  if (token.startsWith("**")) return inline(element("strong"), token.slice(2, -2));
  return inline(element("em"), token.slice(1, -1));
}

function cells(line) {
  return line.trim().replace(/^\|/, "").replace(/\|$/, "").split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/\\\|/g, "|"));
}

/** Block Markdown: #-headings, pipe tables, bullet lists and paragraphs. */
export function renderMarkdown(container, markdown) {
  const lines = String(markdown).split(/\r?\n/);
  let index = 0;
  while (index < lines.length) {
    const line = lines[index];
    if (!line.trim()) { index++; continue; }
    if (line.trim().startsWith("```")) {            // a fenced block: the written-out products
      const code = [];
      index++;
      while (index < lines.length && !lines[index].trim().startsWith("```")) code.push(lines[index++]);
      index++;
      container.append(element("pre", code.join("\n"), "chain"));
      continue;
    }
    const heading = line.match(/^(#{1,6})\s+(.*)$/);
    if (heading) {
      const level = Math.min(heading[1].length + 2, 6);
      container.append(inline(element(`h${level}`), heading[2]));
      index++;
      continue;
    }
    if (line.trim().startsWith("|")) {
      const rows = [];
      while (index < lines.length && lines[index].trim().startsWith("|")) rows.push(lines[index++]);
      const table = element("table");
      const header = cells(rows[0]);
      const alignments = rows[1] && /^[\s|:-]+$/.test(rows[1]) ? cells(rows[1]).map((c) => (c.endsWith(":") ? "right" : "left")) : [];
      const head = element("tr");
      header.forEach((cell, i) => {
        const th = inline(element("th"), cell);
        th.style.textAlign = alignments[i] ?? "left";
        head.append(th);
      });
      table.append(head);
      for (const row of rows.slice(alignments.length ? 2 : 1)) {
        const tr = element("tr");
        cells(row).forEach((cell, i) => {
          const td = inline(element("td"), cell);
          td.style.textAlign = alignments[i] ?? "left";
          tr.append(td);
        });
        table.append(tr);
      }
      container.append(table);
      continue;
    }
    if (/^\s*[-*]\s+/.test(line)) {
      const list = element("ul");
      while (index < lines.length && /^\s*[-*]\s+/.test(lines[index])) {
        list.append(inline(element("li"), lines[index++].replace(/^\s*[-*]\s+/, "")));
      }
      container.append(list);
      continue;
    }
    const paragraph = [];
    while (index < lines.length && lines[index].trim() && !/^(#|\||\s*[-*]\s|```)/.test(lines[index])) {
      paragraph.push(lines[index++].replace(/\\\|/g, "|"));
    }
    if (!paragraph.length) paragraph.push(lines[index++]);
    const code = paragraph.every((text) => text.startsWith("    "));
    container.append(code ? element("pre", paragraph.join("\n")) : inline(element("p"), paragraph.join(" ")));
  }
}

function show(value) {
  if (typeof value === "number") return formatNumber(value, 4);
  if (Array.isArray(value)) return "[" + value.map(show).join(", ") + "]";
  if (value && typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** The network's answer at the point: P(class) for classes, the value for regression. */
function answer(prediction, classNames) {
  const values = Array.isArray(prediction) ? prediction : [prediction];
  if (!classNames || typeof values[0] !== "number") return show(prediction);
  if (values.length === 1) return `P(${classNames[1] ?? "class 1"}) = ${formatNumber(values[0], 3)}`;
  return values.map((p, k) => `P(${classNames[k] ?? k}) = ${formatNumber(p, 3)}`).join(", ");
}

/** message: the server's `explain` reply; context: {classNames, problem} of the session. */
export function renderExplanation(body, message, context = {}) {
  body.replaceChildren();
  const point = message.point;
  const classNames = context.problem === "regression" ? null : context.classNames;
  if (point) {
    const parts = [`Point (${formatNumber(point[0], 2)}, ${formatNumber(point[1], 2)})`];
    if (message.label !== undefined && message.label !== null) {
      const label = classNames && Number.isInteger(Number(message.label)) ? classNames[Number(message.label)] : undefined;
      parts.push(`target ${label ?? show(message.label)}`);
    }
    if (message.label_from && !message.snapped) parts.push(`the target of ${message.label_from}`);
    if (message.prediction !== undefined) parts.push(`the network says ${answer(message.prediction, classNames)}`);
    body.append(element("p", parts.join(" · "), "explain-point"));
  }
  if (message.markdown) {
    renderMarkdown(body, message.markdown);
  } else if (message.text) {
    body.append(element("pre", message.text));
  }
  if (!message.markdown && Array.isArray(message.chains) && message.chains.length) {
    body.append(element("h4", "Chain rule, from the loss back to each layer"));
    for (const chain of message.chains) body.append(element("div", show(chain), "chain"));
  }
  if (!body.childElementCount) {
    const rest = { ...message };
    delete rest.type;
    body.append(element("pre", JSON.stringify(rest, null, 2)));
  }
}
