"""``psoas serve``: options, settings from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from psoas_coach.cli.__main__ import build_parser
from psoas_coach.web.settings import Settings


def test_serve_options() -> None:
    args = build_parser().parse_args(
        ["serve", "--host", "0.0.0.0", "--port", "9000", "--data-dir", "/tmp/d"]
    )
    assert (args.host, args.port, args.data_dir, args.database_url) == (
        "0.0.0.0",
        9000,
        Path("/tmp/d"),
        None,
    )


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PSOAS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PSOAS_DATABASE_URL", "postgresql://u:p@h/db")
    monkeypatch.setenv("PSOAS_MAX_UPLOAD_MB", "12.5")
    settings = Settings.from_env()
    assert settings.data_dir == tmp_path
    assert settings.resolved_database_url == "postgresql+psycopg://u:p@h/db"
    assert settings.max_upload_bytes == 12_500_000
    given = Settings.from_env(data_dir=tmp_path / "x", database_url="sqlite:///y.db")
    assert given.data_dir == tmp_path / "x" and given.database_url == "sqlite:///y.db"


def test_default_database_is_a_file_in_the_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PSOAS_DATABASE_URL", raising=False)
    settings = Settings.from_env(data_dir=tmp_path)
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve()}/psoas.db"


@pytest.mark.parametrize("workers", [0, 5])
def test_settings_refuse_bad_values(tmp_path: Path, workers: int) -> None:
    with pytest.raises(ValueError, match="analysis_workers"):
        Settings(data_dir=tmp_path, analysis_workers=workers)


def test_ray_address_from_option_and_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    args = build_parser().parse_args(["serve", "--ray", "head:6379", "--analysis-workers", "16"])
    assert (args.ray, args.analysis_workers) == ("head:6379", 16)
    monkeypatch.setenv("PSOAS_RAY_ADDRESS", " head:6379 ")
    assert Settings.from_env(data_dir=tmp_path).ray_address == "head:6379"
    assert Settings(data_dir=tmp_path, ray_address="head:6379", analysis_workers=64)
    with pytest.raises(ValueError, match="analysis_workers must be 1-64"):
        Settings(data_dir=tmp_path, ray_address="head:6379", analysis_workers=65)
