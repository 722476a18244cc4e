"""Take a playground network away: a runnable nnblocks script, a PyTorch script, the model files.

- **python**: a script that makes the same data (the generator call with its seed and the
  playground's split, or the points themselves when they were uploaded, drawn or erased),
  builds the same network with nnblocks and trains it with ``fit`` using the same optimiser,
  learning rate, batch size and penalties. ``START_FROM_PLAYGROUND_WEIGHTS = True`` starts
  from the weights the playground shows instead of fresh ones.
- **torch**: a self-contained PyTorch script (NumPy + torch only): the points, the same input
  features computed in NumPy, ``nn.Sequential`` of ``nn.Linear`` layers holding the
  playground's current weights (transposed: torch stores (out, in)), the matching loss and
  ``torch.optim`` optimiser, and a training loop.
- **model**: ``model.zip`` with model.json + model.safetensors (``Sequential.save``), which
  ``Sequential.load`` reads back.
"""

from __future__ import annotations

import base64
import io
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from nnblocks.web.playground.data import csv_text
from nnblocks.web.playground.state import CSV_DATASET, DATASETS

TORCH_ACTIVATIONS = {"tanh": "nn.Tanh()", "relu": "nn.ReLU()", "leaky_relu": "nn.LeakyReLU({negative_slope!r})",
                     "elu": "nn.ELU(alpha={alpha!r})", "gelu": "nn.GELU(approximate={approximate!r})",
                     "silu": "nn.SiLU()", "softplus": "nn.Softplus()", "sigmoid": "nn.Sigmoid()",
                     "linear": None, "softmax": "nn.Softmax(dim=1)"}
TORCH_LOSSES = {"binary_cross_entropy": "nn.BCEWithLogitsLoss()", "softmax_cross_entropy": "nn.CrossEntropyLoss()",
                "mse": "nn.MSELoss()", "mae": "nn.L1Loss()", "huber": "nn.HuberLoss(delta={delta!r})"}


def export(trainer, format_name: str) -> dict:
    """The ``export`` message for ``format_name`` ("python", "torch" or "model")."""
    stem = f"playground_{trainer.state['dataset']}"
    if format_name == "python":
        return {"format": "python", "filename": f"{stem}.py", "encoding": "text", "content": python_code(trainer)}
    if format_name == "torch":
        return {"format": "torch", "filename": f"{stem}_torch.py", "encoding": "text", "content": torch_code(trainer)}
    return {"format": "model", "filename": f"{stem}_model.zip", "encoding": "base64",
            "content": base64.b64encode(model_zip(trainer)).decode("ascii")}


def model_zip(trainer) -> bytes:
    """model.json + model.safetensors of the current network, zipped."""
    with tempfile.TemporaryDirectory(prefix="nnblocks-playground-") as folder:
        trainer.model.save(Path(folder) / "model")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted((Path(folder) / "model").iterdir()):
                archive.write(path, path.name)
    return buffer.getvalue()


# --- shared pieces ------------------------------------------------------------------------------
def describe(trainer) -> list[str]:
    """Comment lines saying what the playground had: data, network, training."""
    state, points = trainer.state, trainer.points
    if state["dataset"] == CSV_DATASET:
        data = f"an uploaded table ({len(points.y)} rows; features {', '.join(points.column_names)})"
    else:
        data = f"{state['dataset']} ({DATASETS[state['dataset']][2]}), noise {state['noise']:g}, seed {state['seed']}"
    if points.edited:
        data += ", with points drawn or erased by hand"
    widths = " -> ".join([", ".join(state["features"])] + [f"{size} {state['activation']}" for size in state["hidden"]]
                         + [f"{trainer.design.units} output(s)"])
    penalty = "" if state["regularization"] == "none" else \
        f", {state['regularization'].upper()} {state['regularization_rate']:g}"
    lines = [f"Data: {data}; {state['train_ratio']:g}% of the points for training.",
             f"Network: {widths}; loss {trainer.design.loss}.",
             f"Training: {state['optimizer']}, learning rate {state['learning_rate']:g}, batch size "
             f"{state['batch_size']}{penalty}. The playground was at epoch {trainer.epoch}."]
    return [line.replace("\\", "/").replace('"""', "'''") for line in lines]   # safe inside a docstring


def embedded_table(trainer) -> bool:
    """Whether the script carries the points (uploaded or edited) instead of a generator call."""
    return trainer.state["dataset"] == CSV_DATASET or trainer.points.edited


def table_literal(text: str) -> list[str]:
    """``TABLE = (...)``: the CSV text as one repr'd line per row, valid whatever the text holds."""
    return ["TABLE = ("] + [f"    {line!r}" for line in text.splitlines(keepends=True)] + [")"]


def _array(values: np.ndarray) -> str:
    return repr(np.asarray(values, dtype=np.float64).round(8).tolist())


# --- nnblocks --------------------------------------------------------------------------------------
def python_code(trainer) -> str:
    state, points, model = trainer.state, trainer.points, trainer.model
    lines = ['"""A network from the nnblocks playground, rebuilt and trained with nnblocks.', ""]
    lines += describe(trainer)
    lines += ["", "Run it:  python this_file.py   (needs nnblocks installed)", '"""', "", "import numpy as np", ""]
    if embedded_table(trainer):
        lines += ["import io", "", "import pandas as pd", ""]
    lines += ["from nnblocks import Dense, Inputs, Sequential"]
    source = points.source
    if not embedded_table(trainer):
        lines += [f"from nnblocks.data import {source['function']}"]
    lines += ["", f"EPOCHS = {max(trainer.epoch, 1)}  # as many as the playground had trained",
              "START_FROM_PLAYGROUND_WEIGHTS = False  # True: start from the weights the playground showed", ""]
    lines += ["# --- the data ---------------------------------------------------------------------"]
    if embedded_table(trainer):
        lines += ["# The points as the playground had them (columns x1, x2, ..., target, train)."]
        lines += [f"COLUMN_NAMES = {points.column_names!r}  # what x1, x2, ... were called"]
        if points.class_names:
            lines += [f"CLASS_NAMES = {points.class_names!r}  # target k is CLASS_NAMES[k]"]
        lines += table_literal(csv_text(points))
        lines += ["table = pd.read_csv(io.StringIO(TABLE))",
                  f"x = table.iloc[:, :{points.columns}].to_numpy()", 'y = table["target"].to_numpy()',
                  'train = table["train"].to_numpy() == 1']
    else:
        arguments = f"{source['n_samples']}, " + (f"n_classes={source['n_classes']}, " if "n_classes" in source else "")
        lines += [f"data = {source['function']}({arguments}noise={source['noise']!r}, rng={source['seed']})",
                  "x, y = data.x, data.y",
                  "# The playground's split: shuffle with the seed, the first part trains.",
                  f"order = np.random.default_rng([{state['seed']}, 1]).permutation(len(y))",
                  "train = np.zeros(len(y), dtype=bool)",
                  f"train[order[: int(len(y) * {state['train_ratio']!r} / 100)]] = True"]
    lines += ["x_train, y_train, x_test, y_test = x[train], y[train], x[~train], y[~train]"]
    if trainer.design.targets == "one_hot":
        lines += ["# Squared error on classes compares the softmax with one-hot rows.",
                  f"y_train, y_test = np.eye({trainer.design.units})[y_train], np.eye({trainer.design.units})[y_test]"]
    elif trainer.design.loss == "mse" and state["problem"] == "classification":
        lines += ["y_train, y_test = y_train.astype(float), y_test.astype(float)  # squared error on 0/1"]
    lines += ["", "# --- the network ------------------------------------------------------------------",
              "model = Sequential(", "    ["]
    l1, l2 = trainer.penalties()
    penalty = "".join([f", l1={l1!r}" if l1 else "", f", l2={l2!r}" if l2 else ""])
    for layer in model.layers:
        activation = layer.activation.get_config()
        text = activation["type"] if len(activation) == 1 else activation
        lines += [f"        Dense({layer.units}, activation={text!r}{penalty}),"]
    scaling = model.inputs.scaling
    lines += ["    ],", f"    loss={trainer.design.loss!r},",
              f"    inputs=Inputs(derived={list(state['features'])!r}, include_original=False, scaling={scaling!r}),",
              f"    seed={state['seed']},", ")", ""]
    lines += ["if START_FROM_PLAYGROUND_WEIGHTS:", f"    model.build(({model.inputs.output_size},))",
              "    model.set_weights({"]
    for name, value in model.get_weights().items():
        lines += [f"        {name!r}: np.array({_array(value)}),"]
    lines += ["    })", ""]
    lines += ["# --- training -------------------------------------------------------------------",
              f"history = model.fit(x_train, y_train, epochs=EPOCHS, batch_size={state['batch_size']}, "
              f"optimizer={state['optimizer']!r},",
              f"                    learning_rate={state['learning_rate']!r}, validation_data=(x_test, y_test), "
              "verbose=False)",
              'print("test:", model.evaluate(x_test, y_test))', ""]
    return "\n".join(lines)


# --- PyTorch ------------------------------------------------------------------------------------------
def feature_code(name: str) -> str:
    """A playground feature as NumPy on the raw columns (``raw[:, 0]`` is x1)."""
    def column(text: str) -> str:
        return f"raw[:, {int(text[1:]) - 1}]"
    if name.startswith("sin("):
        return f"np.sin({column(name[4:-1])})"
    if name.endswith("^2"):
        return f"{column(name[:-2])} ** 2"
    if "*" in name:
        left, right = name.split("*")
        return f"{column(left)} * {column(right)}"
    return column(name)


def torch_optimizer_code(config: dict) -> str:
    """``torch.optim`` construction for one of our optimiser configs (same hyper-parameters, torch names)."""
    c, kind = config, config["type"]
    if kind == "sgd":
        return (f"torch.optim.SGD(model.parameters(), lr={c['learning_rate']!r}, momentum={c['momentum']!r}, "
                f"dampening={c['dampening']!r}, nesterov={c['nesterov']!r}, weight_decay={c['weight_decay']!r})")
    if kind == "rmsprop":
        return (f"torch.optim.RMSprop(model.parameters(), lr={c['learning_rate']!r}, alpha={c['alpha']!r}, "
                f"eps={c['epsilon']!r}, weight_decay={c['weight_decay']!r}, momentum={c['momentum']!r}, "
                f"centered={c['centered']!r})")
    if kind == "adagrad":
        return (f"torch.optim.Adagrad(model.parameters(), lr={c['learning_rate']!r}, "
                f"lr_decay={c['learning_rate_decay']!r}, weight_decay={c['weight_decay']!r}, "
                f"initial_accumulator_value={c['initial_accumulator_value']!r}, eps={c['epsilon']!r})")
    name = {"adam": "Adam", "adamw": "AdamW"}[kind]
    return (f"torch.optim.{name}(model.parameters(), lr={c['learning_rate']!r}, betas=({c['beta_1']!r}, "
            f"{c['beta_2']!r}), eps={c['epsilon']!r}, weight_decay={c['weight_decay']!r}, amsgrad={c['amsgrad']!r})")


def torch_code(trainer) -> str:
    state, points, model, design = trainer.state, trainer.points, trainer.model, trainer.design
    lines = ['"""A network from the nnblocks playground, as a self-contained PyTorch script.', ""]
    lines += describe(trainer)
    lines += ["", "It starts from the weights the playground showed and goes on training. Needs numpy and torch.",
              '"""', "", "import io", "", "import numpy as np", "import torch", "from torch import nn", "",
              "torch.manual_seed(0)", f"EPOCHS = {max(trainer.epoch, 1)}", f"BATCH_SIZE = {state['batch_size']}", "",
              "# --- the points: raw columns x1, x2, ..., the target, and 1 for a training row ------",
              *table_literal(csv_text(points)),
              'table = np.loadtxt(io.StringIO(TABLE), delimiter=",", skiprows=1, ndmin=2)',
              f"raw, target, train = table[:, :{points.columns}], table[:, {points.columns}], "
              f"table[:, {points.columns + 1}] == 1", "", "",
              "def features(raw):", f'    """The playground\'s inputs: {", ".join(state["features"])}."""',
              "    columns = ["]
    lines += [f"        {feature_code(name)},  # {name}" for name in state["features"]]
    lines += ["    ]", "    values = np.column_stack(columns)"]
    inputs_state = model.inputs.get_config()["state"]
    if model.inputs.scaling == "standard":
        lines += ["    # standardised with the training rows' statistics, as the playground's Inputs block did",
                  f"    values = (values - np.array({_array(inputs_state['means'])})) / "
                  f"np.array({_array(inputs_state['stds'])})"]
    lines += ["    return torch.tensor(values, dtype=torch.float32)", "", ""]
    if design.targets == "codes":
        lines += ["targets = torch.tensor(target, dtype=torch.long)  # class indices"]
    elif design.targets == "one_hot":
        lines += [f"targets = torch.eye({design.units})[torch.tensor(target, dtype=torch.long)]  # one-hot rows"]
    else:
        lines += ["targets = torch.tensor(target, dtype=torch.float32).reshape(-1, 1)"]
    lines += ["mask = torch.tensor(train)",
              "x_train, y_train = features(raw)[mask], targets[mask]",
              "x_test, y_test = features(raw)[~mask], targets[~mask]", "",
              "# --- the network, holding the playground's weights -----------------------------", "layers = []"]
    for layer in model.layers:
        weight = layer.params["weight"]
        config = layer.activation.get_config()
        activation = TORCH_ACTIVATIONS[config["type"]]
        lines += [f"layers.append(nn.Linear({weight.shape[0]}, {weight.shape[1]}))"]
        if activation:
            lines += [f"layers.append({activation.format(**config)})"]
    lines += ["model = nn.Sequential(*layers)", "linears = [layer for layer in model if isinstance(layer, nn.Linear)]",
              "WEIGHTS = ["]
    lines += [f"    {_array(layer.params['weight'])}," for layer in model.layers]
    lines += ["]", "BIASES = ["]
    lines += [f"    {_array(layer.params['bias'])}," for layer in model.layers]
    lines += ["]", "with torch.no_grad():  # nnblocks stores (in, out); torch stores (out, in)",
              "    for linear, weight, bias in zip(linears, WEIGHTS, BIASES):",
              "        linear.weight.copy_(torch.tensor(weight).T)",
              "        linear.bias.copy_(torch.tensor(bias))", ""]
    loss = model.loss.get_config()
    lines += [f"loss_function = {TORCH_LOSSES[loss['type']].format(**loss)}",
              f"optimizer = {torch_optimizer_code(model.optimizer.get_config())}"]
    l1, l2 = trainer.penalties()
    lines += [f"L1, L2 = {l1!r}, {l2!r}  # penalties on the weights (not the biases), added to the loss", "", "",
              "def penalty():", "    weights = [linear.weight for linear in linears]",
              "    return L1 * sum(w.abs().sum() for w in weights) + L2 * sum((w * w).sum() for w in weights)", "", "",
              "for epoch in range(EPOCHS):", "    order = torch.randperm(len(x_train))",
              "    for start in range(0, len(order), BATCH_SIZE):",
              "        batch = order[start:start + BATCH_SIZE]",
              "        loss = loss_function(model(x_train[batch]), y_train[batch]) + penalty()",
              "        optimizer.zero_grad()", "        loss.backward()", "        optimizer.step()", "",
              "with torch.no_grad():", "    scores = model(x_test)",
              '    print("test loss:", float(loss_function(scores, y_test)))']
    if state["problem"] == "classification" and len(y_test_rows(trainer)):
        if design.units == 1:
            threshold = "0.0" if design.shown == "sigmoid" else "0.5"
            lines += [f"    predicted = (scores[:, 0] > {threshold}).long()",
                      "    truth = y_test[:, 0].long()"]
        else:
            lines += ["    predicted = scores.argmax(dim=1)",
                      "    truth = y_test if y_test.ndim == 1 else y_test.argmax(dim=1)"]
        lines += ['    print("test accuracy:", float((predicted == truth).float().mean()))']
    return "\n".join(lines) + "\n"


def y_test_rows(trainer) -> np.ndarray:
    return trainer.points.y[~trainer.points.train]
