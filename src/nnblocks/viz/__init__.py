"""Seeing networks: decision boundaries, neuron maps, curves, animations.

The only package that imports matplotlib. Plots take a fitted model through the public
API (predict, predict_proba, decision_function, layer_outputs) and return a Figure.
"""

from nnblocks.viz.boundary import BoundaryValues, boundary_values, plot_decision_boundary  # noqa: F401
from nnblocks.viz.curves import history_png, plot_history  # noqa: F401
from nnblocks.viz.animation import TrainingRecorder, render_frames, save_training_gif  # noqa: F401
from nnblocks.viz.run_figures import RunFigures, write_run_figures  # noqa: F401
from nnblocks.viz.network_diagram import plot_network  # noqa: F401
from nnblocks.viz.neurons import plot_neuron_maps  # noqa: F401
from nnblocks.viz.chain_rule import plot_chain_rule  # noqa: F401
