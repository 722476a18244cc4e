"""The playground's FastAPI app: the page, its options, one WebSocket session per tab, model files.

    GET  /                                    the page (static files of nnblocks/web/static)
    GET  /api/options                         datasets, activations, optimisers, losses, limits, defaults
    GET  /api/sessions/{session_id}/model.zip the session's current model (model.json + model.safetensors)
    WS   /ws                                  the session (docs/playground-protocol.md)

``create_app`` builds the app (tests use it with FastAPI's TestClient); ``serve`` binds a socket
(127.0.0.1 by default), prints the URL and runs uvicorn until Ctrl-C.
"""

from __future__ import annotations

import os
import secrets
import socket
import sys
from pathlib import Path

from fastapi import FastAPI, HTTPException, WebSocket
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from nnblocks.web.playground.session import Session
from nnblocks.web.playground.state import options
from nnblocks.web.playground.trainer import Trainer

STATIC = Path(__file__).resolve().parents[1] / "static"


def create_app(static_dir: str | Path | None = None, max_frames_per_second: float = 60.0,
               frame_process: bool = False) -> FastAPI:
    """The playground app.

    Args:
        static_dir: the page's folder (default: nnblocks/web/static).
        max_frames_per_second: the most frames a playing session sends per second.
        frame_process: each playing session draws its maps in a second process (``frame_process.py``);
            ``serve`` turns it on where there are four cores or more (``wants_frame_process``).
    """
    app = FastAPI(title="nnblocks playground", docs_url=None, redoc_url=None, openapi_url=None)
    sessions: dict[str, Session] = {}
    app.state.sessions = sessions

    @app.get("/api/options")
    def get_options() -> JSONResponse:
        return JSONResponse(options())

    @app.get("/api/sessions/{session_id}/model.zip")
    async def get_model_zip(session_id: str) -> Response:
        session = sessions.get(session_id)
        if session is None:
            raise HTTPException(status_code=404, detail=f"No open session {session_id!r}: the tab was closed or the "
                                                        "server restarted. Export from an open page.")
        content = await run_in_threadpool(session.model_zip)
        name = f"playground_{session.trainer.state['dataset']}_model.zip"
        return Response(content, media_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @app.websocket("/ws")
    async def websocket_session(websocket: WebSocket) -> None:
        await websocket.accept()
        session_id = secrets.token_urlsafe(12)
        trainer = await run_in_threadpool(Trainer)   # data and network: not on the event loop
        session = Session(websocket, session_id, max_frames_per_second=max_frames_per_second, trainer=trainer,
                          frame_process=frame_process)
        sessions[session_id] = session
        try:
            await session.run()
        finally:
            sessions.pop(session_id, None)

    app.mount("/", StaticFiles(directory=Path(static_dir or STATIC), html=True, check_dir=False), name="page")
    return app


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on (host, port); port 0 picks a free one. Raises OSError if it is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError:
        listener.close()
        raise
    listener.listen(128)
    listener.setblocking(False)
    return listener


def url_of(listener: socket.socket) -> str:
    """The address to open: a wildcard bind (0.0.0.0, ::) is not an address a browser can use, so the
    loopback one is shown for it; this machine's other addresses reach it too."""
    host, port = listener.getsockname()[:2]
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def one_blas_thread() -> None:
    """Keep NumPy's BLAS to one thread in this process, for good.

    The playground's matrix products are small ((8, 9) @ (9, 10500) at most per layer); OpenBLAS
    splits them over its threads anyway, and on a busy machine its threads wait for each other:
    measured, a frame's maps took 2 ms at the best and 20 ms at the median with two BLAS threads,
    2.1 ms at the median with one. Several sessions (tabs) still train in parallel threads.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


FRAME_PROCESS_MIN_CORES = 4


def wants_frame_process() -> bool:
    """Whether sessions should draw their maps in a second process (``frame_process.py``).

    Only with four cores or more: the worker needs a core of its own beside the training thread
    and the event loop. On the two-core lab machine the two processes slowed each other (the
    training process's CPU time per 6 x 8 step rose from about 2.9 to 4.4 ms while the worker
    ran) and the median step got worse (benchmarks/bench_playground.py prints both ways).
    """
    return (os.cpu_count() or 1) >= FRAME_PROCESS_MIN_CORES


def serve(host: str = "127.0.0.1", port: int = 8000, open_browser: bool = False, log_level: str = "warning",
          max_frames_per_second: float = 60.0) -> None:
    """Run the playground until Ctrl-C: bind, print the URL, optionally open a browser tab."""
    import uvicorn

    listener = bind(host, port)
    one_blas_thread()
    url = url_of(listener)
    print(f"nnblocks playground: {url}  (Ctrl+C to stop)", flush=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print("Note: the playground is reachable from other machines on this network; it has no login.",
              file=sys.stderr, flush=True)
    if open_browser:
        import webbrowser
        webbrowser.open(url)
    config = uvicorn.Config(create_app(max_frames_per_second=max_frames_per_second,
                                       frame_process=wants_frame_process()),
                            log_level=log_level, ws_max_size=32 * 1024 * 1024)
    uvicorn.Server(config).run(sockets=[listener])
