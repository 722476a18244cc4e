"""The five building blocks: inputs, weights & biases, activations, layers, losses."""
