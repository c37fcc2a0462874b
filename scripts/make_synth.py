"""Write synthetic psoas-march recordings in the devset layout.

For each of ``--n`` recordings: ``synth_0000.csv.gz`` (keypoint CSV, docs/definitions.md 2) and
``synth_0000.truth.json`` (``{"meta": ..., "reps": [...]}``, reps as in docs/report.md 1.2).

Example::

    python scripts/make_synth.py --n 50 --seed 1000 --hard --out /tmp/synth_hard
    python scripts/make_synth.py --n 40 --seed 7000 --sideview --out /tmp/synth_side
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description="Write synthetic recordings with ground truth.")
    parser.add_argument("--n", type=int, default=20, help="number of recordings (default 20)")
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the first recording; the k-th uses seed+k"
    )
    parser.add_argument(
        "--hard",
        action="store_true",
        help="the wider, harder variety (more noise, swaps, dropouts)",
    )
    parser.add_argument(
        "--sideview",
        action="store_true",
        help="what a real side camera does to BlazePose (long swaps, far leg drawn over the"
        " near one, more noise and roll, long rests), like ../shared/devset_hard",
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="output folder (created if missing)"
    )
    return parser.parse_args(argv)


def truth_document(meta: dict[str, Any], reps: list[dict[str, Any]]) -> str:
    """The ``*.truth.json`` text: meta and reps (cues dropped, they are not truth)."""
    clean = [{k: v for k, v in r.items() if k != "cues"} for r in reps]
    return json.dumps({"meta": meta, "reps": clean}, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Generate the recordings; returns the exit code."""
    args = parse_args(argv)
    if args.n < 1:
        print("make_synth: --n must be at least 1", file=sys.stderr)
        return 2
    from rich.progress import Progress

    from psoas_coach.atomic import write_text_atomic
    from psoas_coach.pose.csv_io import write_keypoints
    from psoas_coach.synth.generator import generate, random_spec

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    with Progress(transient=True) as progress:
        task = progress.add_task("generating", total=args.n)
        for k in range(args.n):
            rec = generate(random_spec(args.seed + k, hard=args.hard, sideview=args.sideview))
            stem = f"synth_{k:04d}"
            write_keypoints(rec.pose, out / f"{stem}.csv.gz")
            write_text_atomic(
                out / f"{stem}.truth.json",
                truth_document(rec.meta, [r.to_dict() for r in rec.reps]),
            )
            progress.advance(task)
    print(f"wrote {args.n} recordings to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
