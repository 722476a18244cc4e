"""Pooling: summarise each window of each channel by one number (no weights to learn).

Images are NCHW. With windows(x) the (N, C, Ho, Wo, kh, kw) view of im2col.py:

    MaxPool2D        y[n, c, i, j] = max over the window         (padding counts as −∞)
                     dL/dx: the whole dL/dy goes to the window's argmax (the first maximum
                     in row-major order on ties, like PyTorch); every other entry gets 0.
    AvgPool2D        y[n, c, i, j] = (1 / kh·kw) · Σ over the window (padding counts as 0 and
                     is counted in kh·kw: PyTorch's default count_include_pad=True)
                     dL/dx: each window entry gets dL/dy / (kh·kw)
    GlobalAvgPool2D  y[n, c] = (1 / H·W) · Σ_{i, j} x[n, c, i, j]        (N, C, H, W) -> (N, C)
                     dL/dx[n, c, i, j] = dL/dy[n, c] / (H·W)

Windows overlap when the stride is smaller than the pool (AlexNet's 3/2): col2im then adds
the gradients that meet on one pixel. The stride defaults to the pool size (no overlap).
Pooling multiplies no weights, so its multiply-adds count is 0 (the compute yardstick counts
weighted products; a pool's comparisons or additions are a small fraction of a convolution's).
"""

from __future__ import annotations

import numpy as np

from nnblocks.blocks.base import Layer
from nnblocks.blocks.layers.im2col import (check_batch, check_image_shape, col2im, output_size, pad, pair, unpad,
                                           windows)
from nnblocks.blocks.registry import register_layer
from nnblocks.errors import ParameterError
from nnblocks.validation import message


class _Pool2D(Layer):
    """Shared arguments and shape rule of the windowed pools."""

    def __init__(self, pool_size=2, stride=None, padding=0, name: str | None = None) -> None:
        super().__init__(name)
        owner = type(self).__name__
        self.pool_size = pair("pool_size", pool_size, owner)
        self.stride = self.pool_size if stride is None else pair("stride", stride, owner)
        self.padding = pair("padding", padding, owner, minimum=0)
        if any(2 * side > size for side, size in zip(self.padding, self.pool_size)):
            raise ParameterError(message("padding", owner, f"at most half the pool size {self.pool_size} (as in "
                                         "PyTorch), so that every window holds at least one pixel", padding,
                                         "use a smaller padding or a larger pool."))
        self.pads = tuple((size, size) for size in self.padding)   # ((top, bottom), (left, right))
        self.explicit_stride = stride is not None

    def compute_output_shape(self, input_shape):
        rows, columns = output_size(input_shape, self.pool_size, self.stride, self.pads, type(self).__name__,
                                    kernel_name="pool_size")
        return (input_shape[0], rows, columns)

    def get_config(self):
        return {"name": self.name, "pool_size": list(self.pool_size),
                "stride": list(self.stride) if self.explicit_stride else None, "padding": list(self.padding)}

    def __repr__(self):
        return f"{type(self).__name__}(pool_size={self.pool_size}, stride={self.stride}, padding={self.padding})"


@register_layer("max_pool2d")
class MaxPool2D(_Pool2D):
    """Keep the largest value of each window; backward routes the gradient to it.

    Example:
        >>> layer = MaxPool2D(2)
        >>> layer.build((1, 4, 4), np.random.default_rng(0), np.float64)
        (1, 2, 2)
        >>> layer.forward(np.arange(16.0).reshape(1, 1, 4, 4))[0, 0]
        array([[ 5.,  7.],
               [13., 15.]])
    """

    def forward(self, x, training=False):
        check_batch(x, self.input_shape, "MaxPool2D")
        padded = pad(x, self.pads, value=-np.inf)                          # (N, C, Hp, Wp)
        self.padded_shape = padded.shape
        view = windows(padded, self.pool_size, self.stride)               # (N, C, Ho, Wo, kh, kw)
        flat = view.reshape(*view.shape[:4], -1)                          # (N, C, Ho, Wo, kh·kw), a copy
        self.argmax = flat.argmax(axis=-1)                                # first maximum on ties, like torch
        return np.take_along_axis(flat, self.argmax[..., None], axis=-1)[..., 0]   # (N, C, Ho, Wo)

    def backward(self, grad_output, need_input_gradient=True):
        kh, kw = self.pool_size
        # Each window's gradient, all of it on the argmax: one-hot(argmax) · dL/dy.
        one_hot = self.argmax[..., None] == np.arange(kh * kw)           # (N, C, Ho, Wo, kh·kw)
        grad_windows = (one_hot * grad_output[..., None]).reshape(*grad_output.shape, kh, kw)
        return unpad(col2im(grad_windows, self.padded_shape, self.stride), self.pads)   # (N, C, H, W)


@register_layer("avg_pool2d")
class AvgPool2D(_Pool2D):
    """Average each window (zero padding counted, as PyTorch's default count_include_pad=True)."""

    def forward(self, x, training=False):
        check_batch(x, self.input_shape, "AvgPool2D")
        padded = pad(x, self.pads)                                         # (N, C, Hp, Wp)
        self.padded_shape = padded.shape
        view = windows(padded, self.pool_size, self.stride)               # (N, C, Ho, Wo, kh, kw), a view
        total = view[..., 0, 0].copy()                                    # (N, C, Ho, Wo)
        for offset, (p, q) in enumerate(np.ndindex(*self.pool_size)):   # one whole-array sum per offset
            if offset:
                total += view[..., p, q]
        return total / (self.pool_size[0] * self.pool_size[1])

    def backward(self, grad_output, need_input_gradient=True):
        kh, kw = self.pool_size
        share = grad_output / (kh * kw)                                   # (N, C, Ho, Wo), each entry's part
        grad_windows = np.broadcast_to(share[..., None, None], (*share.shape, kh, kw))   # a view, no copy
        return unpad(col2im(grad_windows, self.padded_shape, self.stride), self.pads)   # (N, C, H, W)


@register_layer("global_avg_pool2d")
class GlobalAvgPool2D(Layer):
    """Average each channel over the whole image: (N, C, H, W) -> (N, C), ready for a Dense layer."""

    def compute_output_shape(self, input_shape):
        check_image_shape(input_shape, "GlobalAvgPool2D")
        return (input_shape[0],)

    def forward(self, x, training=False):
        check_batch(x, self.input_shape, "GlobalAvgPool2D")
        self.spatial_shape = x.shape[2:]
        return x.mean(axis=(2, 3))                                        # (N, C)

    def backward(self, grad_output, need_input_gradient=True):
        rows, columns = self.spatial_shape
        grad_input = np.empty((*grad_output.shape, rows, columns), dtype=grad_output.dtype)   # (N, C, H, W)
        grad_input[...] = (grad_output / (rows * columns))[..., None, None]
        return grad_input
