"""``psoas analyze`` over the bad-file corpus: one clear line per file, within little memory,
and the good input beside them still analysed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from psoas_coach.pose.csv_io import write_keypoints
from psoas_coach.synth.generator import generate
from psoas_coach.synth.spec import SynthSpec
from tests.hostile_files import write_corpus

#: Peak memory the whole run may reach, kilobytes (the 1 GB gzip bomb once took 6.9 GB).
PEAK_KB = 800_000


def test_every_bad_file_gets_its_line(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "bad")
    good = tmp_path / "good.csv.gz"
    write_keypoints(generate(SynthSpec(seed=3, n_reps=2)).pose, good)
    command = [sys.executable, "-m", "psoas_coach.cli.__main__", "analyze", "--quiet"]
    command += [*(str(p) for p, _ in corpus), str(good), "--out", str(tmp_path / "out")]
    with subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL) as run:
        stderr = run.stderr.read().decode() if run.stderr else ""
        _, status, usage = os.wait4(run.pid, 0)
        run.returncode = os.waitstatus_to_exitcode(status)
    assert run.returncode == 1
    assert "Traceback" not in stderr and "unexpected failure" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == len(corpus), stderr
    for (path, words), line in zip(corpus, errors, strict=True):
        assert path.name in line and words in line, (path.name, line)
    assert (tmp_path / "out" / "good.json").exists()
    assert usage.ru_maxrss < PEAK_KB, f"psoas analyze reached {usage.ru_maxrss} kB"
