"""The figures a run folder can hold: their names, files and what each shows.

Plain data, so the run folder's README can list figures without loading matplotlib;
``nnblocks.viz.run_figures`` draws them.
"""

from __future__ import annotations

from collections.abc import Iterable

from nnblocks.errors import ParameterError
from nnblocks.validation import message

FIGURE_FILES = {
    "decision_boundary": "decision_boundary.png",
    "neurons": "neurons.png",
    "network": "network.png",
    "loss": "loss.png",
    "training": "training.gif",
}
FIGURE_NAMES = tuple(FIGURE_FILES)
FIGURE_DESCRIPTIONS = {
    "decision_boundary": "the decision boundary over the data (training points filled, test points with a dark edge)",
    "neurons": "what each hidden neuron computes, as a map over the same plane",
    "network": "the network as a graph: line width = |weight|, colour = sign; biases in the circles",
    "loss": "loss and metrics per epoch, training and validation",
    "training": "an animation: the boundary taking shape during training, beside the loss so far",
}


def check_figure_names(which: Iterable[str] | str, owner: str) -> tuple[str, ...]:
    """The figure names asked for, in the house order; unknown names are refused with the valid ones."""
    names = [which] if isinstance(which, str) else list(which)
    unknown = [name for name in names if name not in FIGURE_FILES]
    if unknown or not names:
        raise ParameterError(message("which", owner, f"names among {list(FIGURE_NAMES)}", names,
                                     "e.g. ('decision_boundary', 'loss')."))
    return tuple(name for name in FIGURE_NAMES if name in names)
