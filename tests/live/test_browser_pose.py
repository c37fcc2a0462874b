"""BlazePose in the athlete's browser: the package's files served by the project's own server
with their media types and a CSP allowing WebAssembly; in real headless Chromium with a fake
camera playing a real video, ``?pose=browser`` loads the model from that server only and sends
``pose`` messages (33 landmarks that land on the person, as the server's MediaPipe finds them)
and no pictures; the default ``auto`` measures this machine's software WebGL as too slow and
falls back to sending pictures, saying so.

Chromium here has no GPU: pose runs on a software WebGL at 1-2 results a second, about 7-10 s
to the first one, so these tests wait for few messages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import numpy.typing as npt
import pytest

from psoas_coach.live.browser_pose import POSE_FILES, package_dir
from psoas_coach.live.server import create_app
from psoas_coach.pose.mediapipe_backend import MediaPipeBackend
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, collect_errors
from tests.live.conftest import real_frames
from tests.live.test_browser import FAKE_CAMERA_ARGS, FPS, write_y4m
from tests.serving import serve_app

Image = npt.NDArray[np.uint8]
FloatArray = npt.NDArray[np.float64]
#: Hips and knees: the joints the engine's angles start from.
HIPS_KNEES = [23, 24, 25, 26]
#: Browser and server MediaPipe on the same clip: largest mean hip/knee distance, shares of
#: the picture. scripts/browser_agreement.py measured medians of 0.004-0.008 of the width on
#: the same frames of a render; here the camera's frame is only known to be one of the clip's.
MAX_DISTANCE = 0.04
POSE_TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def clip() -> list[Image]:
    """Three seconds of a real person lying supine, 320x240, every second frame (15 fps)."""
    return real_frames("glute_bridge.mp4", 3.0, 320)[::2]


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    """The stand-alone live app (``psoas live --serve``)."""
    with serve_app(create_app()) as url:
        yield url


@pytest.mark.parametrize(
    ("name", "status", "media_type"),
    [
        ("pose.js", 200, "text/javascript"),
        ("pose_solution_simd_wasm_bin.wasm", 200, "application/wasm"),
        ("pose_landmark_full.tflite", 200, "application/octet-stream"),
        ("pose_web.binarypb", 200, "application/octet-stream"),
        ("package.json", 404, None),  # installed, but not a file the page needs
        ("..%2Fpose%2Fpose.js", 404, None),
    ],
)
def test_only_the_pages_files_are_served(
    served: str, name: str, status: int, media_type: str | None
) -> None:
    answer = httpx.get(f"{served}/live/pose/{name}")
    assert answer.status_code == status
    if media_type is not None:
        assert answer.headers["content-type"].split(";")[0] == media_type
        assert answer.content == (package_dir() / name).read_bytes()


def test_every_listed_file_is_installed() -> None:
    missing = [name for name in POSE_FILES if not (package_dir() / name).is_file()]
    assert missing == [], f"run scripts/setup.sh: {missing}"


def test_the_page_allows_webassembly_from_its_own_origin_only(served: str) -> None:
    csp = httpx.get(f"{served}/live/").headers["content-security-policy"]
    assert "script-src 'self' 'wasm-unsafe-eval';" in csp
    assert "unsafe-eval'" not in csp.replace("'wasm-unsafe-eval'", "")
    assert "http" not in csp and "*" not in csp


def _open(url: str, camera: Path, playwright: Any) -> tuple[Any, Any, list[str], list[Any]]:
    """A Chromium tab on ``url`` with ``camera`` as its webcam: (browser, tab, errors and
    requests to other origins, frames the page sent over its WebSocket)."""
    args = [*FAKE_CAMERA_ARGS, f"--use-file-for-fake-video-capture={camera}"]
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
    tab = browser.new_page(viewport={"width": 1100, "height": 1000})
    problems: list[str] = []
    sent: list[Any] = []
    origin = url.split("/live/")[0]
    collect_errors(tab, problems)
    tab.on(
        "request",
        lambda r: None if r.url.startswith((origin, "data:")) else problems.append(r.url),
    )
    tab.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(frame)))
    tab.goto(url)
    return browser, tab, problems, sent


def _pose_messages(sent: list[Any]) -> list[dict[str, Any]]:
    texts = [json.loads(frame) for frame in sent if isinstance(frame, str)]
    return [message for message in texts if message["type"] == "pose"]


def _server_landmarks(clip: list[Image]) -> FloatArray:
    """The server's MediaPipe on each clip frame: ``(frames, 33, 2)`` shares of the picture."""
    backend = MediaPipeBackend()
    try:
        found = [backend.estimate(image, k / FPS) for k, image in enumerate(clip)]
    finally:
        backend.close()
    height, width = clip[0].shape[:2]
    return np.array([f.xy / [width, height] for f in found if f is not None])


def test_pose_in_the_browser_sends_keypoints_only(
    served: str, clip: list[Image], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    camera = write_y4m(tmp_path / "bridge.y4m", clip, FPS)
    with sync_playwright() as playwright:
        browser, tab, problems, sent = _open(f"{served}/live/?pose=browser", camera, playwright)
        tab.click("#start")
        tab.wait_for_selector("#live[data-pose-mode=browser]", timeout=POSE_TIMEOUT_MS)
        assert "Pose runs in this browser" in tab.locator("#pose-mode").inner_text()
        deadline = 0  # wait_for_timeout lets Playwright deliver the WebSocket events
        while len(_pose_messages(sent)) < 3 and deadline < POSE_TIMEOUT_MS:
            tab.wait_for_timeout(500)
            deadline += 500
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / "live-browser-pose.png"), full_page=True)
        browser.close()
    assert problems == [], problems
    assert not [frame for frame in sent if isinstance(frame, bytes)]  # no picture left
    messages = _pose_messages(sent)[:3]
    assert len(messages) == 3
    times = [m["time_s"] for m in messages]
    assert times == sorted(times) and len(set(times)) == 3
    assert {(m["width"], m["height"]) for m in messages} == {(320, 240)}
    server = _server_landmarks(clip)
    for message in messages:
        points = np.array(message["landmarks"], dtype=float)
        assert points.shape == (33, 4) and np.isfinite(points).all()
        gaps = np.abs(server[:, HIPS_KNEES] - points[HIPS_KNEES, :2]).mean(axis=(1, 2))
        assert gaps.min() < MAX_DISTANCE, gaps.min()


def test_auto_falls_back_to_pictures_on_a_slow_device(
    served: str, clip: list[Image], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    camera = write_y4m(tmp_path / "bridge.y4m", clip, FPS)
    with sync_playwright() as playwright:
        browser, tab, problems, sent = _open(f"{served}/live/", camera, playwright)
        tab.click("#start")
        tab.wait_for_selector("#live[data-pose-mode=server]", timeout=POSE_TIMEOUT_MS)
        mode = tab.locator("#pose-mode").inner_text()
        tab.wait_for_function(
            "() => Number(document.getElementById('live').dataset.frames) >= 3",
            timeout=POSE_TIMEOUT_MS,
        )
        browser.close()
    assert problems == [], problems
    assert "Pose runs on the server" in mode and "poses/s, under 8/s" in mode, mode
    assert _pose_messages(sent) == []
    assert len([frame for frame in sent if isinstance(frame, bytes)]) >= 3


#: A stand-in for MediaPipe's ``Pose`` (set before the page loads the real one) that records the
#: time each picture is sent with, and a ``<video>`` stand-in that seeks at once: the wrapper's
#: own behaviour, not pose estimation (the tests above run the real model).
RECORDING_POSE_JS = """async () => {
  const sent = [];
  window.Pose = class {
    setOptions() {}
    onResults(listener) { this.listener = listener; }
    async initialize() {}
    async send(inputs, at) { sent.push(at); this.listener({ poseLandmarks: null }); }
    close() {}
  };
  class Video extends EventTarget {
    constructor() { super(); this.duration = 0.5; this.videoWidth = 64; this.videoHeight = 48; }
    set currentTime(t) { setTimeout(() => this.dispatchEvent(new Event("seeked")), 0); }
  }
  const estimator = await PsoasBrowserPose.load("pose/");
  await estimator.estimate(document.createElement("canvas"), 1.25);
  const replayed = [];
  await PsoasBrowserPose.replay(estimator, new Video(), 10, 2, (p) => replayed.push(p.time_s));
  return { sent, replayed };
}"""


def test_the_graph_gets_each_frames_own_time(served: str) -> None:
    """The graph's landmark smoothing runs on the frames' times (milliseconds), as the server's
    does: a replay slower than real time is smoothed as the video's own frames are."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        tab = browser.new_page()
        tab.goto(f"{served}/live/?pose=server")
        got = tab.evaluate(RECORDING_POSE_JS)
        browser.close()
    assert got["replayed"] == [0.0, 0.2, 0.4]
    assert got["sent"] == pytest.approx([1250.0, 0.0, 200.0, 400.0])
