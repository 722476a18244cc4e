"""Batch normalisation over the feature axis (1-D: inputs shaped (N, D)).

Training, per feature, over the batch (μ and σ² are the batch mean and biased variance):

    x̂ = (x − μ) / sqrt(σ² + ε)
    y = γ ⊙ x̂ + β
    running_mean ← (1 − m)·running_mean + m·μ
    running_var  ← (1 − m)·running_var  + m·σ²·N/(N − 1)     (unbiased, as PyTorch)

Inference uses the running statistics instead of the batch's.

Backward in training mode (every x moves μ and σ², hence the two extra sums):

    dL/dγ = Σₙ dL/dy ⊙ x̂,   dL/dβ = Σₙ dL/dy
    g = dL/dy ⊙ γ
    dL/dx = (1/N)·(1/sqrt(σ² + ε))·(N·g − Σₙ g − x̂ ⊙ Σₙ (g ⊙ x̂))

Momentum follows PyTorch's meaning (weight of the new batch), so the engines agree.
"""

from __future__ import annotations

import numpy as np

from nnblocks.blocks.base import Layer
from nnblocks.blocks.registry import register_layer
from nnblocks.errors import ParameterError
from nnblocks.validation import check_number, message


@register_layer("batch_norm")
class BatchNorm(Layer):
    """Normalise each feature to zero mean and unit variance, then scale (γ) and shift (β)."""

    def __init__(self, momentum: float = 0.1, epsilon: float = 1e-5, name: str | None = None) -> None:
        super().__init__(name)
        self.momentum = check_number("momentum", momentum, "BatchNorm", minimum=0.0, maximum=1.0)
        self.epsilon = check_number("epsilon", epsilon, "BatchNorm", minimum=0.0, strict_minimum=True)

    def build(self, input_shape, rng, dtype):
        if len(input_shape) != 1:
            raise ParameterError(message("input_shape", "BatchNorm", "(features,) — 1-D batch norm", input_shape,
                                         "put a Flatten() layer before BatchNorm."))
        features = input_shape[0]
        self.params = {"gamma": np.ones(features, dtype), "beta": np.zeros(features, dtype)}
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}
        self.buffers = {"running_mean": np.zeros(features, dtype), "running_var": np.ones(features, dtype)}
        return super().build(input_shape, rng, dtype)

    def forward(self, x, training=False):
        self.training = training
        if training:
            count = len(x)
            if count < 2:
                raise ParameterError(message("batch_size", "BatchNorm", "at least 2 examples per training batch",
                                             count, "use a larger batch_size, or drop BatchNorm."))
            mean = x.mean(axis=0)
            variance = x.var(axis=0)
            m = self.momentum
            self.buffers["running_mean"] *= 1 - m
            self.buffers["running_mean"] += m * mean
            self.buffers["running_var"] *= 1 - m
            self.buffers["running_var"] += (m * count / (count - 1)) * variance
        else:
            mean, variance = self.buffers["running_mean"], self.buffers["running_var"]
        self.inverse_std = 1.0 / np.sqrt(variance + self.epsilon)     # (D,)
        self.normalised = (x - mean) * self.inverse_std               # (N, D) x̂
        return self.normalised * self.params["gamma"] + self.params["beta"]

    def backward(self, grad_output, need_input_gradient=True):
        normalised = self.normalised
        np.sum(grad_output * normalised, axis=0, out=self.grads["gamma"])
        np.sum(grad_output, axis=0, out=self.grads["beta"])
        if not need_input_gradient:
            return None
        g = grad_output * self.params["gamma"]
        if not self.training:  # fixed statistics: a plain per-feature scale
            return g * self.inverse_std
        count = len(g)
        return (self.inverse_std / count) * (count * g - g.sum(axis=0) - normalised * (g * normalised).sum(axis=0))

    def multiply_adds(self):
        return int(self.input_shape[0]) if self.input_shape else 0

    def get_config(self):
        return {"name": self.name, "momentum": self.momentum, "epsilon": self.epsilon}
