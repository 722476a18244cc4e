"""The `nnblocks` command line (typer + rich): train, evaluate, predict, gradcheck, datasets.

A thin layer over ``nnblocks.runs``: it parses options, prints tables and turns the
library's errors into short messages. ``nnblocks.cli.main:app`` is the typer app.
"""
