"""The files the live page needs to run BlazePose in the athlete's browser (``?pose=browser``).

MediaPipe's npm package ``@mediapipe/pose`` (Apache-2.0, notice in THIRD_PARTY_NOTICES) ships
the JavaScript solution, its WebAssembly runtime and the lite, full and heavy models;
``scripts/setup.sh`` installs it from the npm registry into the repository's ``node_modules/``.
The project's own servers serve only the files in :data:`POSE_FILES`, with their media types,
so nothing is fetched from another origin at run time. :func:`build_pose_files_router` gives
the route (``GET /{name}``); the page finds it through its ``data-pose-base`` attribute.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

#: Where scripts/setup.sh installs the package (``PSOAS_MEDIAPIPE_POSE_DIR`` overrides it).
PACKAGE_DIR = Path(__file__).resolve().parents[2] / "node_modules" / "@mediapipe" / "pose"
_JS = "text/javascript"
_BINARY = "application/octet-stream"
#: Each file the page may load, with its media type (``.wasm`` must be ``application/wasm``
#: for the browser's streaming compile).
POSE_FILES: dict[str, str] = {
    "pose.js": _JS,
    "pose_solution_packed_assets_loader.js": _JS,
    "pose_solution_packed_assets.data": _BINARY,
    "pose_solution_simd_wasm_bin.js": _JS,
    "pose_solution_simd_wasm_bin.wasm": "application/wasm",
    "pose_solution_simd_wasm_bin.data": _BINARY,
    "pose_solution_wasm_bin.js": _JS,
    "pose_solution_wasm_bin.wasm": "application/wasm",
    "pose_web.binarypb": _BINARY,
    "pose_landmark_lite.tflite": _BINARY,
    "pose_landmark_full.tflite": _BINARY,
    "pose_landmark_heavy.tflite": _BINARY,
}
#: What the page's Content-Security-Policy adds to ``script-src 'self'`` so the WebAssembly
#: runtime may compile (no ``unsafe-eval``, nothing from other origins).
WASM_SCRIPT_SRC = "script-src 'self' 'wasm-unsafe-eval'"
#: The stand-alone live page's policy: its own origin only, its WebSocket, the camera's picture.
LIVE_PAGE_CSP = (
    f"default-src 'self'; {WASM_SCRIPT_SRC}; connect-src 'self' ws: wss:; "
    "style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def package_dir() -> Path:
    """The installed ``@mediapipe/pose`` folder (it may be missing: see :func:`missing_files`)."""
    override = os.environ.get("PSOAS_MEDIAPIPE_POSE_DIR")
    return Path(override) if override else PACKAGE_DIR


def missing_files() -> list[str]:
    """Names in :data:`POSE_FILES` that are not installed (empty when browser pose can run)."""
    folder = package_dir()
    return [name for name in POSE_FILES if not (folder / name).is_file()]


def build_pose_files_router() -> APIRouter:
    """``GET /{name}``: one of :data:`POSE_FILES` with its media type; 404 for any other name,
    and 404 naming scripts/setup.sh when the package is not installed."""
    router = APIRouter()

    @router.get("/{name}", include_in_schema=False)
    async def pose_file(name: str) -> FileResponse:
        media_type = POSE_FILES.get(name)
        if media_type is None:
            raise HTTPException(status_code=404, detail=f"no browser pose file {name!r}")
        path = package_dir() / name
        if not path.is_file():
            detail = f"browser pose file {name} not installed: run scripts/setup.sh"
            raise HTTPException(status_code=404, detail=detail)
        return FileResponse(path, media_type=media_type)

    return router
