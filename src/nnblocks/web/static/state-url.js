// The whole playground state in the page URL (the protocol's "State"), so that a shared link
// reproduces the data and the initial weights: the seed is part of it.

const LISTS = new Set(["features", "hidden", "hide"]);
const NUMBER_LISTS = new Set(["hidden"]);
const BOOLEANS = new Set(["discretize", "show_test"]);
const NUMBERS = new Set([
  "noise", "train_ratio", "batch_size", "seed", "learning_rate", "regularization_rate", "classes",
  "epochs_per_frame", "stop_epochs", "stop_loss",
]);
const OPTIONAL = new Set(["stop_epochs", "stop_loss"]); // empty means "no such stop condition"

// The order keys appear in the URL (known keys first, in the protocol's order).
export const STATE_KEYS = [
  "dataset", "noise", "train_ratio", "batch_size", "seed", "features", "hidden", "activation",
  "learning_rate", "regularization", "regularization_rate", "problem", "classes", "optimizer", "loss",
  "epochs_per_frame", "stop_epochs", "stop_loss", "discretize", "show_test", "hide",
];

/** Read the state from a query string ("?dataset=xor&hidden=4,2"); only the keys present. */
export function readState(search = location.search) {
  const params = new URLSearchParams(search);
  const state = {};
  for (const [key, raw] of params) {
    if (!STATE_KEYS.includes(key)) continue;
    if (LISTS.has(key)) {
      const items = raw === "" ? [] : raw.split(",").map((item) => item.trim()).filter(Boolean);
      state[key] = NUMBER_LISTS.has(key) ? items.map(Number).filter((n) => Number.isFinite(n) && n > 0) : items;
    } else if (BOOLEANS.has(key)) {
      state[key] = raw === "true" || raw === "1";
    } else if (NUMBERS.has(key)) {
      if (raw === "" && OPTIONAL.has(key)) state[key] = null;
      else if (raw !== "" && Number.isFinite(Number(raw))) state[key] = Number(raw);
    } else {
      state[key] = raw;
    }
  }
  return state;
}

/** The query string for a state (every known key the state has). */
export function stateToSearch(state) {
  const params = new URLSearchParams();
  for (const key of STATE_KEYS) {
    if (!(key in state)) continue;
    const value = state[key];
    if (value === undefined) continue;
    if (value === null) continue;                      // no such stop condition: leave it out
    if (key === "hide" && (!value || value.length === 0)) continue;
    if (LISTS.has(key)) params.set(key, (value || []).join(","));
    else params.set(key, String(value));
  }
  // Keep the list separators and maths symbols readable in the address bar.
  return "?" + params.toString().replace(/%2C/g, ",").replace(/%5E/g, "^").replace(/%28/g, "(").replace(/%29/g, ")")
    .replace(/%2A/g, "*");
}

/** Put the state in the address bar without adding a history entry. */
export function writeState(state) {
  const search = stateToSearch(state);
  if (search !== location.search) history.replaceState(null, "", location.pathname + search + location.hash);
}
