"""Write the teaching notebooks from this file, so they can be reviewed (and diffed) as Python.

    python notebooks/make_notebooks.py        # rewrites the two .ipynb files next to this script

Each notebook is a list of cells: ``md(...)`` for teaching text, ``code(...)`` for code.
The notebooks use only the public API (``import nnblocks``, ``from nnblocks import ...``,
``from nnblocks.viz import ...``) plus NumPy and matplotlib, and are stored without outputs;
``tests/test_notebooks.py`` runs both and checks that they finish without errors and draw figures.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent


def md(text: str):
    return new_markdown_cell(textwrap.dedent(text).strip())


def code(text: str):
    return new_code_cell(textwrap.dedent(text).strip())


SETUP = code("""
    %matplotlib inline
    import numpy as np
    import matplotlib.pyplot as plt

    import nnblocks
    from nnblocks import (SGD, Dense, Inputs, Sequential, get_activation, get_initializer, get_loss, gradient_check,
                          load_dataset, train_validation_test_split)

    np.set_printoptions(precision=4, suppress=True)
    print("nnblocks", nnblocks.__version__)
""")

# --------------------------------------------------------------------------------------------------
# 01 — the five building blocks
# --------------------------------------------------------------------------------------------------
BLOCKS = [
    md("""
    # 01 · The five building blocks

    Every neural network in nnblocks is made of five building blocks:

    | Block | What it does | Here |
    |---|---|---|
    | **Inputs** | turn the data into a matrix of numbers (derived features, scaling) | `Inputs` |
    | **Weights and biases** | the numbers training adjusts, and how they start | `get_initializer` |
    | **Activation functions** | the non-linearity after each weighted sum | `get_activation` |
    | **Layers** | organise the weighted sums: `z = x·W + b`, then `a = f(z)` | `Dense` |
    | **Loss** | one number that says how wrong the network is, and its gradient | `get_loss` |

    Training repeats three moves: a **forward pass** (data through the blocks), a **backward
    pass** (the chain rule, block by block, back down) and an **optimiser step**. This notebook
    takes the blocks one by one, checks each against a hand calculation, then puts them together
    for one training step and a gradient check. Every block's maths is plain NumPy in
    `src/nnblocks/blocks/`: open the file beside this notebook.
    """),
    SETUP,
    md("""
    ## 1 · Inputs, and features you derive from them

    TensorFlow Playground's *circle* data set: class 1 inside a circle, class 0 on a ring around it.
    No straight line separates them in the plane of `x1` and `x2`. The `Inputs` block can add
    **derived features** — `x1^2`, `x2^2`, `x1*x2`, `sin(x1)` — computed from the raw columns, then
    **scale** every column (here to mean 0, standard deviation 1). It learns the scaling from the
    data you `adapt` it to (the training part only, so nothing leaks from the test part).
    """),
    code("""
    data = load_dataset("circle", n_samples=300, noise=0.05, seed=0)
    print(data.description)
    inputs = Inputs(derived=["x1^2", "x2^2", "x1*x2"], scaling="standard").adapt(data.x)
    print("columns the network will see:", inputs.output_names)
    features = inputs.transform(data.x)                   # (N, 5)
    print("first two rows, scaled:\\n", features[:2])
    print("means ≈ 0:", features.mean(axis=0).round(6), " stds ≈ 1:", features.std(axis=0).round(3))
    """),
    md("""
    Plotted against the new features `x1²` and `x2²`, the circle becomes a line: inside the
    circle `x1² + x2²` is small. A network with **no hidden layer** can now separate the classes.
    """),
    code("""
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.8))
    colours = np.where(data.y == 1, "#0877bd", "#f59322")
    left.scatter(data.x[:, 0], data.x[:, 1], c=colours, s=12)
    left.set(title="raw inputs", xlabel="x1", ylabel="x2", aspect="equal")
    right.scatter(data.x[:, 0] ** 2, data.x[:, 1] ** 2, c=colours, s=12)
    right.set(title="derived features", xlabel="x1²", ylabel="x2²")
    figure.tight_layout()
    """),
    md("""
    ## 2 · Weights, biases and how they start

    A Dense layer with D inputs and H neurons owns a weight matrix **W** of shape (D, H) — the
    layout Keras and scikit-learn use — and a bias vector **b** of shape (H,). Before training
    they are drawn at random by an **initialiser**. Glorot (Xavier) uniform draws from
    U(−ℓ, ℓ) with ℓ = √(6 / (fan_in + fan_out)), so the signal keeps about the same size from
    layer to layer; He (Kaiming) uses fan_in only and suits ReLU. Biases start at zero.
    """),
    code("""
    rng = np.random.default_rng(0)
    fan_in, fan_out = 64, 32
    samples = {name: get_initializer(name)((fan_in, fan_out), rng).ravel()
               for name in ["glorot_uniform", "he_normal", "uniform", "normal", "zeros"]}
    limit = np.sqrt(6 / (fan_in + fan_out))
    largest = np.abs(samples["glorot_uniform"]).max()
    print(f"Glorot limit √(6/(64+32)) = {limit:.4f}; largest |w| drawn = {largest:.4f}")
    for name, values in samples.items():
        print(f"{name:15s} mean {values.mean():+.4f}  std {values.std():.4f}")
    """),
    code("""
    figure, axes = plt.subplots(1, 4, figsize=(12, 2.8), sharey=True)
    for axis, name in zip(axes, ["glorot_uniform", "he_normal", "uniform", "normal"]):
        axis.hist(samples[name], bins=40, color="#0877bd")
        axis.set_title(name)
    figure.tight_layout()
    """),
    md("""
    ## 3 · Activation functions and their derivatives

    After the weighted sum `z`, each neuron applies an activation `a = f(z)`. Without it a stack
    of layers would collapse into one linear map. Each activation in nnblocks is one small class
    with `forward(z)` and `backward(z, a, grad_a) = grad_a · f'(z)` side by side. Passing
    `grad_a = 1` gives the derivative itself, which we compare with a central difference
    `(f(z + ε) − f(z − ε)) / 2ε`.
    """),
    code("""
    z = np.linspace(-4, 4, 401)
    names = ["tanh", "sigmoid", "relu", "leaky_relu", "elu", "gelu", "softplus", "silu"]
    epsilon = 1e-6
    for name in names:
        activation = get_activation(name)
        a = activation.forward(z)
        derivative = activation.backward(z, a, np.ones_like(z))
        numerical = (activation.forward(z + epsilon) - activation.forward(z - epsilon)) / (2 * epsilon)
        away_from_kinks = np.abs(z) > 1e-3          # relu's derivative jumps at 0
        print(f"{name:10s} max |f'(z) − central difference| = "
              f"{np.abs(derivative - numerical)[away_from_kinks].max():.1e}")
    """),
    code("""
    figure, axes = plt.subplots(2, 4, figsize=(12, 5.2), sharex=True)
    for axis, name in zip(axes.ravel(), names):
        activation = get_activation(name)
        a = activation.forward(z)
        axis.plot(z, a, color="#0877bd", label="f(z)")
        axis.plot(z, activation.backward(z, a, np.ones_like(z)), color="#f59322", linestyle="--", label="f'(z)")
        axis.axhline(0, color="0.8", linewidth=0.8)
        axis.set_title(name)
    axes[0, 0].legend()
    figure.tight_layout()
    """),
    md("""
    ## 4 · A Dense layer, by hand and by the engine

    Forward: `z = x·W + b`, `a = f(z)`. Backward, given `∂L/∂a` from the layer above:

    * `∂L/∂z = f'(z) ⊙ ∂L/∂a` (element by element; for tanh, f'(z) = 1 − a²)
    * `∂L/∂W = xᵀ · ∂L/∂z`, `∂L/∂b = Σ over the batch of ∂L/∂z`
    * `∂L/∂x = ∂L/∂z · Wᵀ`, handed down to the layer below.

    We build one layer of 3 tanh neurons on 2 inputs, push 4 examples through, and do the same
    sums by hand.
    """),
    code("""
    layer = Dense(3, activation="tanh")
    layer.build((2,), np.random.default_rng(1), np.float64)
    W, b = layer.params["weight"], layer.params["bias"]          # (2, 3), (3,)
    x = np.random.default_rng(2).normal(size=(4, 2))             # (N, D) = (4, 2)

    a_engine = layer.forward(x)
    z_hand = x @ W + b
    a_hand = np.tanh(z_hand)
    print("forward agrees:", np.allclose(a_engine, a_hand))

    grad_a = np.random.default_rng(3).normal(size=(4, 3))        # pretend ∂L/∂a from above
    grad_x_engine = layer.backward(grad_a)
    grad_z = (1 - a_hand ** 2) * grad_a
    print("∂L/∂W agrees:", np.allclose(layer.grads["weight"], x.T @ grad_z))
    print("∂L/∂b agrees:", np.allclose(layer.grads["bias"], grad_z.sum(axis=0)))
    print("∂L/∂x agrees:", np.allclose(grad_x_engine, grad_z @ W.T))
    """),
    md("""
    ## 5 · A loss and its gradient

    Binary cross-entropy takes the network's raw score `s` (a *logit*), turns it into a
    probability `p = sigmoid(s)` and charges `−y·log p − (1 − y)·log(1 − p)`, averaged over the
    batch. nnblocks fuses the sigmoid into the loss, which gives a stable formula and the short
    gradient `∂L/∂s = (p − y) / N`.
    """),
    code("""
    loss = get_loss("binary_cross_entropy")
    scores = np.array([[2.0], [-1.0], [0.5], [-3.0]])           # (N, 1) logits
    targets = np.array([[1.0], [0.0], [0.0], [1.0]])
    value = loss.forward(scores, targets)
    gradient = loss.backward()
    p = 1 / (1 + np.exp(-scores))
    by_hand = np.mean(-targets * np.log(p) - (1 - targets) * np.log(1 - p))
    print(f"loss {value:.6f}   by hand {by_hand:.6f}")
    print("gradient (p − y)/N:", gradient.ravel(), " by hand:", ((p - targets) / len(p)).ravel())
    nudged = scores.copy(); nudged[3] += 1e-6
    lowered = scores.copy(); lowered[3] -= 1e-6
    numerical = (loss.forward(nudged, targets) - loss.forward(lowered, targets)) / 2e-6
    print(f"∂L/∂s₃ = {gradient[3, 0]:.6f}, central difference {numerical:.6f}")
    """),
    md("""
    ## 6 · One training step

    A `Sequential` network chains the blocks. One step of plain gradient descent on one batch:
    forward pass, loss, backward pass (every layer fills its gradients), then the optimiser moves
    every parameter against its gradient: `θ ← θ − learning_rate · ∂L/∂θ`.
    """),
    code("""
    model = Sequential([Dense(4, activation="tanh"), Dense(1)], loss="binary_cross_entropy",
                       dtype="float64", seed=0)
    model.build((2,))
    model.optimizer = SGD(learning_rate=0.5)
    x_batch = data.x[:16] / 3                                   # (16, 2), roughly unit scale
    t_batch = data.y[:16].reshape(-1, 1).astype(float)          # (16, 1)

    before = model.get_weights()
    loss_before, _ = model.train_step(x_batch, t_batch)
    after = model.get_weights()
    for name in before:
        step_ok = np.allclose(after[name], before[name] - 0.5 * model.gradients[name])
        print(f"{name:14s} moved by −0.5·gradient: {step_ok}")
    loss_after, _ = model.compute_loss(x_batch, t_batch)
    print(f"loss on this batch: {loss_before:.4f} before the step, {loss_after:.4f} after")
    """),
    md("""
    ## 7 · The gradient check

    Backpropagation is easy to get subtly wrong, so nnblocks can check it: for every parameter it
    compares the backward pass with central differences of the loss, in float64. A correct
    backward gives relative errors around 1e-9; a bug gives 1e-2 or more.
    """),
    code("""
    net = Sequential([Dense(5, activation="tanh"), Dense(5, activation="relu"), Dense(1)],
                     inputs=Inputs(scaling="standard"), seed=0)
    net.fit(data.x, data.y, epochs=2, batch_size=16, learning_rate=0.01, verbose=False)
    report = gradient_check(net, data.x[:8], data.y[:8])
    for row in report.rows:
        print(f"{row.name:14s} {str(row.shape):8s} relative error {row.relative_error:.1e}")
    print("PASSED" if report.passed else "FAILED")
    """),
    md("""
    ## 8 · Putting it together

    The same circle, two ways: raw inputs through a hidden layer, and derived features with no
    hidden layer at all (a logistic regression on `x1², x2², x1·x2`). Both draw a circle; the second
    needs 4 parameters instead of 33. The summary lists each block, its output shape and its
    parameters.
    """),
    code("""
    from nnblocks.viz import plot_decision_boundary, plot_history, plot_network

    parts = train_validation_test_split(data.x, data.y, validation=0.25, test=0.25, seed=0)
    hidden = Sequential([Dense(8, activation="tanh"), Dense(1)], inputs=Inputs(scaling="standard"), seed=0)
    derived = Sequential([Dense(1)], inputs=Inputs(derived=["x1^2", "x2^2", "x1*x2"], include_original=False), seed=0)
    histories = {}
    for name, net in {"hidden layer": hidden, "derived features": derived}.items():
        histories[name] = net.fit(parts.x_train, parts.y_train, epochs=60, batch_size=10, learning_rate=0.03,
                                  validation_data=(parts.x_validation, parts.y_validation), verbose=False)
    print(derived.summary())
    """),
    code("""
    figure, axes = plt.subplots(1, 2, figsize=(12, 5))
    plot_decision_boundary(hidden, parts.x_train, parts.y_train, x_test=parts.x_test, y_test=parts.y_test,
                           resolution=120, title="2 → 8 tanh → 1", ax=axes[0])
    plot_decision_boundary(derived, parts.x_train, parts.y_train, x_test=parts.x_test, y_test=parts.y_test,
                           resolution=120, title="x1², x2², x1·x2 → 1 (no hidden layer)", ax=axes[1])
    figure.tight_layout()
    """),
    code("""
    plot_history(histories["derived features"])
    """),
    code("""
    plot_network(hidden)
    """),
]

# --------------------------------------------------------------------------------------------------
# 02 — constructing decision boundaries
# --------------------------------------------------------------------------------------------------
BOUNDARIES = [
    md("""
    # 02 · Constructing decision boundaries

    A classifier's **decision boundary** is where its answer changes from one class to the other.
    Here we watch networks build one: on TensorFlow Playground's four data sets, with different
    depths and activations, neuron by neuron, and epoch by epoch while training. Each boundary is
    drawn by asking the trained network about every point of a fine grid over the data — colour is
    the probability of the blue class, the black line is where it crosses 0.5.
    """),
    code("""
    %matplotlib inline
    import tempfile
    from pathlib import Path

    import numpy as np
    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    import nnblocks
    from nnblocks import Dense, Inputs, Sequential, load_dataset, train_validation_test_split
    from nnblocks.viz import (TrainingRecorder, plot_decision_boundary, plot_neuron_maps, render_frames,
                              save_training_gif)

    def network(hidden, activation="tanh", seed=0):
        \"\"\"hidden layers of the given sizes, one output logit, inputs scaled to mean 0 / std 1\"\"\"
        layers = [Dense(units, activation=activation) for units in hidden] + [Dense(1)]
        return Sequential(layers, inputs=Inputs(scaling="standard"), seed=seed)

    def split(name, **options):
        data = load_dataset(name, seed=0, **options)
        return train_validation_test_split(data.x, data.y, validation=0.0, test=0.3, seed=0)
    """),
    md("""
    ## 1 · Four data sets

    *circle* (one class inside the other), *xor* (the quadrants), *gauss* (two clouds) and
    *spiral* (two interleaved spirals, the hard one). Each has two features, so the plane we draw
    on is the data itself.
    """),
    code("""
    names = ["circle", "xor", "gauss", "spiral"]
    sets = {name: split(name, n_samples=300, noise=0.05) for name in names}
    figure, axes = plt.subplots(1, 4, figsize=(14, 3.6))
    for axis, name in zip(axes, names):
        part = sets[name]
        axis.scatter(part.x_train[:, 0], part.x_train[:, 1], s=10,
                     c=np.where(part.y_train == 1, "#0877bd", "#f59322"))
        axis.set(title=name, aspect="equal")
    figure.tight_layout()
    """),
    md("""
    ## 2 · Gauss needs a line; xor needs a hidden layer

    With no hidden layer a network computes `sigmoid(w1·x1 + w2·x2 + b)`: its boundary is always a
    straight line. Enough for *gauss*, hopeless for *xor*. One hidden layer of a few tanh neurons
    bends the boundary.
    """),
    code("""
    figure, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    cases = [("gauss", ()), ("xor", ()), ("xor", (4,))]
    for axis, (name, hidden) in zip(axes, cases):
        part = sets[name]
        model = network(hidden)
        model.fit(part.x_train, part.y_train, epochs=60, batch_size=10, learning_rate=0.03, verbose=False)
        shape = " → ".join(["2", *map(str, hidden), "1"])
        plot_decision_boundary(model, part.x_train, part.y_train, x_test=part.x_test, y_test=part.y_test,
                               resolution=100, title=f"{name}: {shape}", ax=axis, colorbar=False)
    figure.tight_layout()
    """),
    md("""
    ## 3 · Depth and activation on the spiral

    The spiral needs a boundary that winds around twice. Watch what more neurons, a second
    layer, and the choice of activation do. ReLU networks draw boundaries from straight pieces
    (each ReLU neuron folds the plane along a line); tanh networks draw smooth curves.
    """),
    code("""
    spiral = sets["spiral"]
    cases = [((8,), "tanh"), ((16, 16), "tanh"), ((16, 16), "relu")]
    models = {}
    figure, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    for axis, (hidden, activation) in zip(axes, cases):
        model = network(hidden, activation)
        model.fit(spiral.x_train, spiral.y_train, epochs=150, batch_size=10, learning_rate=0.01, verbose=False)
        models[hidden, activation] = model
        shape = " → ".join(["2", *map(str, hidden), "1"])
        plot_decision_boundary(model, spiral.x_train, spiral.y_train, x_test=spiral.x_test, y_test=spiral.y_test,
                               resolution=100, title=f"{shape}, {activation}", ax=axis, colorbar=False)
    figure.tight_layout()
    """),
    md("""
    ## 4 · Neuron by neuron

    Where does the spiral come from? Each square below is one unit, drawn over the same plane:
    the first layer's neurons can only draw soft straight edges (a tanh of a weighted sum of
    x1 and x2); the second layer combines those edges into curved regions; the output adds those
    up into the spiral. Lines between squares are the weights (width = size, colour = sign).
    """),
    code("""
    plot_neuron_maps(models[(16, 16), "tanh"], spiral.x_train, spiral.y_train, resolution=40)
    """),
]

ANIMATION = [
    md("""
    ## {number} · Watching the boundary form

    Thousands of such steps build the spiral. A `TrainingRecorder` is a training callback: at the
    epochs you ask for it evaluates the network on a fixed grid and notes the loss so far.
    `save_training_gif` turns the frames into an animation; `render_frames` gives them as images. Early on the boundary is a gentle tilt;
    then the loss drops as it wraps around the arms one by one.
    """),
    code("""
    model = network((16, 16))
    recorder = TrainingRecorder(spiral.x_train, spiral.y_train, epochs=[1, 30, 60, 90, 120, 150], resolution=60,
                                x_test=spiral.x_test, y_test=spiral.y_test)
    model.fit(spiral.x_train, spiral.y_train, epochs=150, batch_size=10, learning_rate=0.01,
              callbacks=[recorder], verbose=False)
    print("recorded epochs:", recorder.epochs)
    frames = render_frames(recorder, dpi=60)
    figure, axes = plt.subplots(3, 2, figsize=(13, 11))
    for axis, frame in zip(axes.ravel(), frames):
        axis.imshow(frame)
        axis.axis("off")
    figure.tight_layout()
    """),
    code("""
    folder = Path(tempfile.mkdtemp())
    gif = save_training_gif(recorder, folder / "training.gif", fps=2)
    print(f"{gif.name}: {gif.stat().st_size // 1024} KiB")
    display(Image(filename=str(gif)))
    """),
]

CHAIN_RULE = [
    md("""
    ## 5 · The chain rule for one example

    Every training step moves every weight by `−learning_rate · ∂L/∂w`. The chain-rule inspector
    follows one training example forward through a small network and back, and writes out, for
    one weight per layer, the product the chain rule makes of it: the input that weight
    multiplies, the activation's slope, and the gradient arriving from above. (The table below
    has every number of that step.)
    """),
    code("""
    from nnblocks.analysis.chain_rule import explain_step

    small = network((3,))
    small.fit(sets["xor"].x_train, sets["xor"].y_train, epochs=20, batch_size=10, learning_rate=0.03, verbose=False)
    step = explain_step(small, sets["xor"].x_train[:1], sets["xor"].y_train[:1])
    for line in step.chain_lines():
        print(line)
    step
    """),
]
CHAIN_RULE_FIGURE = [
    code("""
    from nnblocks.viz import plot_chain_rule

    plot_chain_rule(step)
    """),
]

ENDING = [
    md("""
    ## What to try next

    * `nnblocks train --dataset spiral` writes all of these figures into its run folder
      (`decision_boundary.png`, `neurons.png`, `network.png`, `loss.png`, `training.gif`);
      `nnblocks plot RUN` draws them again at another resolution or on another plane.
    * Change the noise, the number of hidden neurons, the activation or the learning rate above,
      and predict the boundary before you run the cell.
    """),
]


def available(module: str, name: str) -> bool:
    """Whether ``module`` offers ``name``: the chain-rule inspector is a newer part of nnblocks, and
    its section is included where it exists."""
    try:
        return hasattr(__import__(module, fromlist=[name]), name)
    except ImportError:
        return False


def notebook(cells) -> nbformat.NotebookNode:
    book = new_notebook(cells=cells)
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    book.metadata["language_info"] = {"name": "python"}
    return book


def numbered(cells: list, number: int) -> list:
    """The cells with ``{number}`` in their first heading filled in (sections that move when others are left out)."""
    first = new_markdown_cell(cells[0].source.replace("{number}", str(number), 1))
    return [first, *cells[1:]]


def chain_rule_cells() -> list:
    if not available("nnblocks.analysis.chain_rule", "explain_step"):
        return []
    return CHAIN_RULE + (CHAIN_RULE_FIGURE if available("nnblocks.viz", "plot_chain_rule") else [])


def main() -> None:
    books = {
        "01-the-five-building-blocks.ipynb": BLOCKS,
        "02-constructing-decision-boundaries.ipynb": BOUNDARIES + chain_rule_cells() + numbered(ANIMATION, 5 + bool(
            chain_rule_cells())) + ENDING,
    }
    for name, cells in books.items():
        book = notebook(cells)
        for index, cell in enumerate(book.cells):   # stable ids keep regenerated notebooks diff-free
            cell["id"] = f"cell-{index:02d}"
        nbformat.validate(book)
        nbformat.write(book, HERE / name)
        print(f"wrote {HERE / name} ({len(cells)} cells)")


if __name__ == "__main__":
    main()
