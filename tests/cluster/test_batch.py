"""``psoas batch --ray`` on a real local Ray head with two worker processes: real videos, a
synthetic keypoint CSV and a bad file; one worker SIGKILLed mid-video; Ctrl-C; re-runs. Every
report must equal the one ``psoas analyze`` writes for the same file, and nothing
half-written may remain in the output folder."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from psoas_coach.cli.__main__ import main
from psoas_coach.pose.csv_io import write_keypoints
from psoas_coach.synth.generator import generate
from psoas_coach.synth.spec import SynthSpec
from tests.ray_head import RayHead

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "real"
#: Seconds a batch of these few inputs may take on the loaded test machine.
BATCH_TIMEOUT_S = 300.0
#: Output stem (relative to the output folder) of each good input, and the input's name.
GOOD = {
    "Ana/2026-05-01/leg_raise_2": "videos/leg_raise_2.mp4",
    "Bo/2026-05-01/glute_bridge": "videos/glute_bridge.mp4",
    "march": "march.csv.gz",
}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two real videos named by a manifest, a synthetic keypoint CSV, a file that is no video."""
    folder = tmp_path_factory.mktemp("batch-inputs")
    (folder / "videos").mkdir()
    for name in ("leg_raise_2.mp4", "glute_bridge.mp4"):
        shutil.copyfile(REAL / name, folder / "videos" / name)
    write_keypoints(generate(SynthSpec(seed=5, n_reps=3)).pose, folder / "march.csv.gz")
    (folder / "bad.mp4").write_text("this is not a video")
    (folder / "day.csv").write_text(
        "athlete,date,file\nAna,2026-05-01,videos/leg_raise_2.mp4\n"
        "Bo,2026-05-01,videos/glute_bridge.mp4\n"
    )
    return folder


@pytest.fixture(scope="module")
def reference(inputs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``psoas analyze`` of every good input, one core as a batch task has."""
    out = tmp_path_factory.mktemp("reference")
    files = [str(inputs / name) for name in GOOD.values()]
    assert main(["analyze", *files, "--out", str(out), "--workers", "1", "-q"]) == 0
    return out


def start_batch(
    head: RayHead, inputs: list[Path], out: Path, *, local: bool = False
) -> subprocess.Popen[str]:
    """``psoas batch INPUTS --out OUT --ray ADDRESS`` as a process of its own (``local``:
    without ``--ray``, on a local Ray of one worker that the command starts and stops)."""
    command = [sys.executable, "-m", "psoas_coach.cli", "batch", *map(str, inputs)]
    command += ["--out", str(out)]
    command += ["--workers", "1"] if local else ["--ray", head.address]
    # Ctrl-C's SIGINT as in a command typed at a terminal. A suite started in the background
    # by a shell without job control (`cmd &`) inherits SIGINT ignored, which a child keeps
    # (Python then leaves it ignored), so the Ctrl-C test would fail for the way the suite was
    # started; a handled signal is reset to the default in the child.
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen(
            command, env=head.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    finally:
        signal.signal(signal.SIGINT, before)


def task_pid(out: Path, stem: str, batch: subprocess.Popen[str]) -> int:
    """The process running ``stem``'s task (its staging folder's ``worker.pid``), once it
    has started."""
    deadline = time.monotonic() + BATCH_TIMEOUT_S
    while time.monotonic() < deadline:
        assert batch.poll() is None, batch.communicate()
        for pid_file in (out / ".partial").glob(f"{stem}-*/worker.pid"):
            text = pid_file.read_text()
            if text.endswith("\n"):
                return int(text)
        time.sleep(0.05)
    raise AssertionError(f"no task of {stem} started")


def signal_masks(pid: int) -> str:
    """The process's blocked, ignored and caught signal masks (``/proc/PID/status``); SIGINT is
    signal 2, the mask bit of value 0x2."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError as err:
        return f"unreadable ({err})"
    return " ".join(line.replace("\t", "") for line in lines if line.startswith("Sig"))


def leftovers(out: Path) -> list[Path]:
    """Staging folders and temporary files (names starting with a dot) under ``out``."""
    return [p for p in out.rglob("*") if p.name.startswith(".")]


def finish(batch: subprocess.Popen[str]) -> tuple[int, str, str]:
    """Wait for the batch; its exit status, stdout and stderr."""
    stdout, stderr = batch.communicate(timeout=BATCH_TIMEOUT_S)
    return batch.returncode, stdout, stderr


def test_batch_with_a_worker_killed_mid_video(
    ray_cluster: RayHead, inputs: Path, reference: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    given = [inputs / "day.csv", inputs / "march.csv.gz", inputs / "bad.mp4"]
    batch = start_batch(ray_cluster, given, out)
    killed = task_pid(out, "leg_raise_2", batch)
    time.sleep(1.0)  # well into the video: pose estimation of it takes several seconds
    assert not (out / "Ana/2026-05-01/leg_raise_2.json").exists()
    os.kill(killed, signal.SIGKILL)
    status, _, stderr = finish(batch)
    assert status == 1, stderr
    assert re.findall(r"^error: .*$", stderr, re.M) == [
        "error: video bad.mp4: cannot be read as a video (Invalid data found when processing "
        "input; not a video file, or truncated/corrupt)"
    ]
    entries = {e["stem"]: e for e in json.loads((out / "batch.json").read_text())["items"]}
    assert set(entries) == {*GOOD, "bad"}
    assert entries["bad"]["status"] == "failed" and "bad.mp4" in entries["bad"]["reason"]
    retried = entries["Ana/2026-05-01/leg_raise_2"]
    assert retried["status"] == "done" and not retried["worker"].endswith(f":{killed}")
    assert leftovers(out) == []
    for stem, name in GOOD.items():
        ours = json.loads((out / f"{stem}.json").read_text())
        theirs = json.loads((reference / f"{Path(name).name.split('.')[0]}.json").read_text())
        assert ours == theirs, stem
        assert entries[stem]["files"]["json"] == f"{stem}.json"
    for stem in ("Ana/2026-05-01/leg_raise_2", "Bo/2026-05-01/glute_bridge"):
        name = Path(stem).name
        assert (out / f"{stem}.csv").read_bytes() == (reference / f"{name}.csv").read_bytes()

    written = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.name != "batch.json"}
    status, stdout, stderr = finish(start_batch(ray_cluster, given, out))
    assert status == 1, stderr
    assert "bad.mp4" in stderr  # the failed input was tried again, and failed again
    assert re.search(r"│ 4\s+│ 0\s+│ 3\s+│ 1\s+│", stdout), stdout  # 3 skipped, 1 failed
    assert {p: p.stat().st_mtime_ns for p in written} == written


def test_ctrl_c_stops_a_local_batch_cleanly_and_a_rerun_resumes(
    ray_cluster: RayHead, inputs: Path, reference: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    given = [inputs / "videos" / "glute_bridge.mp4"]
    batch = start_batch(ray_cluster, given, out, local=True)
    task_pid(out, "glute_bridge", batch)
    masks = signal_masks(batch.pid)  # to tell, if it fails, whether SIGINT was blocked or ignored
    batch.send_signal(signal.SIGINT)
    status, _, stderr = finish(batch)
    assert status == 130, f"{stderr}\nthe batch's signal masks when SIGINT was sent: {masks}"
    assert "interrupted after 0 of 1 inputs" in stderr
    assert sorted(p.name for p in out.iterdir()) == ["batch.json"]
    assert json.loads((out / "batch.json").read_text())["items"] == []

    status, _, stderr = finish(start_batch(ray_cluster, given, out, local=True))
    assert status == 0, stderr
    ours = json.loads((out / "glute_bridge.json").read_text())
    assert ours == json.loads((reference / "glute_bridge.json").read_text())
    assert leftovers(out) == []
