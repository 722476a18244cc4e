"""The backward pass written out: one Dense layer's chain-rule product, line by line.

``_chain_lines`` gives the formula lines ``document`` (``chain_rule_document.py``) puts
under each Dense layer: the forward sum, the gradient arriving from above, f'(z), the
chain-rule product with its numbers, and where the gradient goes next.
"""

from __future__ import annotations

from nnblocks.analysis.chain_rule import DERIVATIVES, ChainProduct, LayerStep, StepExplanation, format_factor

MAX_TERMS = 6      # Σ terms written out in full; more are summarised by the largest few
SHOWN_TERMS = 4


def _chain_lines(step: StepExplanation, layer: LayerStep, below: str | None, number) -> list[tuple[str, bool]]:
    chain: ChainProduct = layer.chain
    i, j = chain.row, chain.column
    digits = step.digits
    factor = lambda value: format_factor(float(value), digits)  # noqa: E731
    lines = [(text, False) for text in _forward_lines(layer, j, number, factor)]
    lines += _upstream_lines(step, layer, number, factor)
    if layer.derivative is not None:
        lines.append((_derivative_line(layer, j, number, factor), False))
        lines.append((f"∂L/∂z[{j}] = f'(z[{j}]) × ∂L/∂a[{j}] = {factor(layer.derivative[j])} × "
                      f"{factor(layer.grad_outputs[j])} = {number(layer.grad_z[j])}", False))
    else:
        lines.append((f"∂L/∂z[{j}] = a[{j}]·(∂L/∂a[{j}] − Σₖ ∂L/∂a[k]·a[k]) = {number(layer.grad_z[j])}"
                      "   (softmax: every a[k] depends on every z)", False))
    lines.append((f"{chain.symbol} = {chain.formula()}", True))       # the chain rule, then its numbers
    lines.append((" " * len(chain.symbol) + f" = {chain.numbers(digits)}", True))
    if layer.grad_bias is not None:
        lines.append((f"∂L/∂b[{j}] = ∂L/∂z[{j}] = {number(layer.grad_bias[j])}", False))
    lines.append((f"update: W[{i},{j}] ← {number(layer.weight[i, j])} − η × {factor(chain.value)}   "
                  "(gradient descent, rate η)", False))
    destination = f"the ∂L/∂a column of {below}" if below else "∂L/∂a⁽⁰⁾, the inputs' gradient"
    lines.append((f"∂L/∂a_prev = ∂L/∂z Wᵀ ({len(layer.inputs)} values) → {destination}", False))
    return lines


def _forward_lines(layer: LayerStep, j: int, number, factor) -> list[str]:
    """``forward: z[j] = Σᵢ a_prev[i] × W[i,j] + b[j] = …`` and ``a[j] = f(z[j]) = …``."""
    size = len(layer.inputs)
    bias = f" + b[{j}]" if layer.bias is not None else ""
    lines = [f"forward: z[{j}] = Σᵢ a_prev[i] × W[i,{j}]{bias}"]
    if size <= 3:   # few enough inputs to write the weighted sum out
        terms = " + ".join(f"{factor(layer.inputs[i])} × {factor(layer.weight[i, j])}" for i in range(size))
        if layer.bias is not None:
            terms += f" + {factor(layer.bias[j])}"
        lines.append(" " * len(f"forward: z[{j}] ") + f"= {terms} = {number(layer.z[j])}")
    else:
        lines[0] += f" = {number(layer.z[j])}   ({size} terms)"
    lines.append(f"         a[{j}] = {layer.activation}(z[{j}]) = {number(layer.outputs[j])}")
    return lines


def _upstream_lines(step: StepExplanation, layer: LayerStep, number, factor) -> list[tuple[str, bool]]:
    upstream = layer.upstream
    j = upstream.unit
    via = f" (via {', '.join(upstream.through)}: off in inference)" if upstream.through else ""
    if upstream.source == "loss":
        loss = step.loss
        if loss.gradient_formula == "p − y":
            return [(f"∂L/∂a[{j}] = ∂L/∂s[{j}] = p[{j}] − y[{j}] = {factor(loss.link[j])} − "
                     f"{factor(loss.targets[j])} = {number(upstream.value)}   (from the loss){via}", False)]
        return [(f"∂L/∂a[{j}] = ∂L/∂s[{j}] = {number(upstream.value)}   (from the loss: ∂L/∂s = "
                 f"{loss.gradient_formula}){via}", False)]
    if not upstream.terms:
        return [(f"∂L/∂a[{j}] = {number(upstream.value)}  ({upstream.note}){via}", False)]
    terms = upstream.terms
    units = f"the {len(terms)} units" if len(terms) > 1 else "the 1 unit"
    lines = [(f"∂L/∂a[{j}] = Σₖ ∂L/∂z_next[k] × W_next[{j},k], k over {units} of {upstream.source}{via}", False)]
    shown = terms if len(terms) <= MAX_TERMS else sorted(terms, key=lambda t: -abs(t[1] * t[2]))[:SHOWN_TERMS]
    label = len(terms) > MAX_TERMS
    pieces = [f"{factor(gradient)} × {factor(weight)}" + (f"   [k={k}]" if label else "")
              for k, gradient, weight in shown]
    if label:
        pieces.append(f"… ({len(terms) - SHOWN_TERMS} smaller terms)")
    indent = " " * len(f"∂L/∂a[{j}] ")
    if len(pieces) <= 2:
        lines.append((f"{indent}= {' + '.join(pieces)} = {number(upstream.value)}", False))
    else:
        lines.append((f"{indent}=   {pieces[0]}", False))
        lines += [(f"{indent}  + {piece}", False) for piece in pieces[1:]]
        lines.append((f"{indent}= {number(upstream.value)}", False))
    return lines


def _derivative_line(layer: LayerStep, j: int, number, factor) -> str:
    f, z, a, value = layer.activation, layer.z[j], layer.outputs[j], layer.derivative[j]
    if f == "tanh":
        return f"f'(z[{j}]) = 1 − a[{j}]² = 1 − {factor(a)}² = {number(value)}   (f = tanh)"
    if f == "sigmoid":
        return f"f'(z[{j}]) = a[{j}]·(1 − a[{j}]) = {factor(a)} × {factor(1 - a)} = {number(value)}   (f = sigmoid)"
    if f == "relu":
        return f"f'(z[{j}]) = {number(value)}   (f = relu, z[{j}] = {number(z)} {'>' if z > 0 else '≤'} 0)"
    if f == "linear":
        return f"f'(z[{j}]) = 1   (f = linear: a = z)"
    return f"f'(z[{j}]) = {number(value)}   (f = {f}, f'(z) = {DERIVATIVES.get(f, 'its derivative')})"
