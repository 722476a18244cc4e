"""The web front ends: FastAPI apps over the public nnblocks API, and their static pages.

Only this package imports FastAPI and uvicorn (DESIGN.md section 2). Nothing in the library
imports it; the CLI starts an app by name (see ``nnblocks.cli.playground``).

    nnblocks.web.playground   `nnblocks playground`: build a network by clicking, watch it learn
    nnblocks.web.static       the playground's page (HTML, CSS, ES modules; no build step)
"""
