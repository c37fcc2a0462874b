"""The dashboard over the bad-file corpus (``tests/hostile_files.py``): each file is refused
at upload or its analysis fails, with a one-line reason naming it; nothing is left in
``work/`` and a good upload afterwards is analysed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile_files import write_corpus
from tests.web.helpers import Api, Served


@pytest.fixture(scope="module")
def backend() -> str:
    """The refusals are the app's; one database back-end is enough."""
    return "sqlite"


def test_every_bad_file_is_refused_with_its_reason(
    api: Api, served: Served, tmp_path: Path, march_csv: Path
) -> None:
    session = api.session(api.athlete(api.team()["id"])["id"])
    accepted: dict[int, tuple[str, str]] = {}
    for path, words in write_corpus(tmp_path):
        answer = api.upload(session["id"], path.name, path.read_bytes())
        if answer.status_code == 202:
            accepted[answer.json()["id"]] = (path.name, words)
            continue
        assert answer.status_code in (400, 415), (path.name, answer.text)
        detail = answer.json()["detail"]
        assert detail.startswith(f"{path.name}: ") and "\n" not in detail, detail
    status = api.wait(session["id"])
    assert len(status["jobs"]) == len(accepted) >= 12
    for job in status["jobs"]:
        name, words = accepted[job["recording_id"]]
        assert job["status"] == "failed", (name, job)
        assert name in job["reason"] and words in job["reason"], (name, job["reason"])
        assert "unexpected" not in job["reason"] and "\n" not in job["reason"]
    assert not any((served.settings.data_dir / "work").iterdir())
    assert api.upload(session["id"], "good.csv.gz", march_csv.read_bytes()).status_code == 202
    assert api.wait(session["id"])["jobs"][-1]["status"] == "done"
