"""Seeing networks: decision boundaries, neuron maps, curves, animations.

The only package that imports matplotlib. Plots take a fitted model through the public
API (predict, predict_proba, decision_function, layer_outputs) and return a Figure.
"""
