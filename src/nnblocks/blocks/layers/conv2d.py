"""Conv2D: the same small Dense layer slid over every position of an image.

Images are NCHW (N, C_in, H, W), as in PyTorch. The kernel is stored (kh, kw, C_in, C_out):
"(…, in, out)" like Dense's (in, out). One output pixel is a weighted sum over a kh×kw
window of every input channel (strictly a cross-correlation, as in every framework):

    z[n, f, i, j] = b[f] + Σ_{p, q, c} x_pad[n, c, i·sh + p, j·sw + q] · W[p, q, c, f]
    a = f(z)

im2col (see im2col.py) lays each window out as one COLUMN of a matrix X_col, so the whole
convolution is ONE matrix product — Dense's forward, with every window as an example:

    X_col = windows(x_pad)              (kh·kw·C_in, N·Ho·Wo)       one column per output pixel
    Z     = W_matᵀ @ X_col + b          (C_out, kh·kw·C_in) @ (kh·kw·C_in, N·Ho·Wo)

(W_mat is the kernel reshaped to (kh·kw·C_in, C_out), the rows in the kernel's own order.)
Backward is Dense's backward on those matrices, then col2im to fold the windows back:

    dL/dZ     = f'(z) ⊙ dL/da                     (the activation's backward)
    dL/dW_mat = X_col @ dL/dZᵀ                    summed over every window of every example
    dL/db     = Σ over (n, i, j) of dL/dZ
    dL/dX_col = W_mat @ dL/dZ                     then col2im: each window's gradient is added
    dL/dx     = col2im(dL/dX_col), padding cut    back to the pixels it was read from

Columns rather than rows because then the copy that makes X_col, and col2im, move whole
image rows at a time (the W axis stays innermost), which is what makes them fast.

L1/L2 penalties act on the kernel exactly as in Dense. Output size per axis:
⌊(S + pad_before + pad_after − k) / s⌋ + 1.
"""

from __future__ import annotations

import numpy as np

from nnblocks.blocks.layers.im2col import (check_batch, col2im, output_size, pad, padding_spec, pair,
                                           resolve_padding, unpad, windows)
from nnblocks.blocks.layers.weighted import WeightedLayer
from nnblocks.blocks.registry import register_layer
from nnblocks.validation import check_integer


@register_layer("conv2d")
class Conv2D(WeightedLayer):
    """A 2-D convolution of ``filters`` kernels of size ``kernel_size`` over NCHW images.

    Args:
        filters: number of output channels C_out (one kernel each).
        kernel_size: kh×kw, an int or a pair (height, width).
        stride: step between windows, an int or a pair.
        padding: zeros around the image: an int, a pair (rows, columns) per side, "valid" (none) or
            "same" (stride 1 only; keeps H×W — PyTorch's rule, the odd row/column at the bottom/right).
        activation, weight_initializer, bias_initializer, l1, l2, use_bias: as in Dense.

    Example:
        >>> layer = Conv2D(6, 5, activation="tanh")
        >>> layer.build((1, 32, 32), np.random.default_rng(0), np.float32)
        (6, 28, 28)
        >>> layer.params["weight"].shape          # (kh, kw, C_in, C_out)
        (5, 5, 1, 6)
    """

    def __init__(self, filters: int, kernel_size=3, stride=1, padding=0, activation=None,
                 weight_initializer="glorot_uniform", bias_initializer="zeros", l1: float = 0.0, l2: float = 0.0,
                 use_bias: bool = True, name: str | None = None) -> None:
        super().__init__(activation, weight_initializer, bias_initializer, l1, l2, use_bias, name)
        self.filters = check_integer("filters", filters, "Conv2D", minimum=1)
        self.kernel_size = pair("kernel_size", kernel_size, "Conv2D")
        self.stride = pair("stride", stride, "Conv2D")
        self.padding = padding_spec(padding, "Conv2D")
        # Rows/columns of zeros per side, ((top, bottom), (left, right)); "same" may be uneven.
        self.pads = resolve_padding(self.padding, self.kernel_size, self.stride, "Conv2D")

    def compute_output_shape(self, input_shape):
        rows, columns = output_size(input_shape, self.kernel_size, self.stride, self.pads, "Conv2D")
        return (self.filters, rows, columns)

    def build(self, input_shape, rng, dtype):
        output_shape = super().build(input_shape, rng, dtype)
        kernel_shape = (*self.kernel_size, input_shape[0], self.filters)                   # (kh, kw, C_in, C_out)
        self.create_parameters(kernel_shape, self.filters, rng, dtype)                     # bias (C_out,)
        return output_shape

    def forward(self, x, training=False):
        check_batch(x, self.input_shape, "Conv2D")
        padded = pad(x, self.pads)                                         # (N, C_in, Hp, Wp)
        self.padded_shape = padded.shape
        view = windows(padded, self.kernel_size, self.stride)             # (N, C_in, Ho, Wo, kh, kw), a view
        count, _, rows, columns = view.shape[:4]
        # im2col: one column per output pixel, its entries ordered (kh, kw, C_in) like the kernel's rows.
        self.columns = view.transpose(4, 5, 1, 0, 2, 3).reshape(-1, count * rows * columns)  # (kh·kw·C_in, N·Ho·Wo)
        z = self.params["weight"].reshape(-1, self.filters).T @ self.columns     # (C_out, N·Ho·Wo)
        if self.use_bias:
            z += self.params["bias"][:, None]
        self.z = z.reshape(self.filters, count, rows, columns).transpose(1, 0, 2, 3)   # (N, C_out, Ho, Wo)
        self.a = self.activation.forward(self.z)                          # kept for f'(z) written via a
        return self.a

    def backward(self, grad_output, need_input_gradient=True):
        grad_z = self.activation.backward(self.z, self.a, grad_output)   # (N, C_out, Ho, Wo) dL/dz
        self.grad_z = grad_z                                              # kept for the chain-rule inspector
        count, _, rows, columns = grad_z.shape
        grad_z_matrix = grad_z.transpose(1, 0, 2, 3).reshape(self.filters, -1)   # (C_out, N·Ho·Wo) dL/dZ
        weight = self.params["weight"]
        weight_matrix = weight.reshape(-1, self.filters)                  # (kh·kw·C_in, C_out)
        np.matmul(self.columns, grad_z_matrix.T, out=self.grads["weight"].reshape(weight_matrix.shape))  # dL/dW
        self.add_penalty_gradient()                                       # + l1·sign(W) + 2·l2·W
        if self.use_bias:
            np.add.reduce(grad_z_matrix, axis=1, out=self.grads["bias"])  # (C_out,) dL/db
        if not need_input_gradient:
            return None
        grad_columns = weight_matrix @ grad_z_matrix                      # (kh·kw·C_in, N·Ho·Wo) dL/dX_col
        kh, kw = self.kernel_size
        grad_windows = grad_columns.reshape(kh, kw, -1, count, rows, columns).transpose(3, 2, 4, 5, 0, 1)
        return unpad(col2im(grad_windows, self.padded_shape, self.stride), self.pads)   # (N, C_in, H, W)

    def multiply_adds(self):
        """H_out·W_out·kh·kw·C_in·C_out: one product per kernel weight per output pixel."""
        if not self.input_shape:
            return 0
        _, rows, columns = self.output_shape
        return int(rows * columns * self.kernel_size[0] * self.kernel_size[1] * self.input_shape[0] * self.filters)

    def get_config(self):
        return {"name": self.name, "filters": self.filters, "kernel_size": list(self.kernel_size),
                "stride": list(self.stride),
                "padding": self.padding if isinstance(self.padding, str) else list(self.padding),
                **self.weighted_config()}

    def __repr__(self):
        return (f"Conv2D({self.filters}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding!r}, activation={self.activation.type_name!r})")
