"""The 33 BlazePose landmarks: names, indices and the left/right pairs."""

from __future__ import annotations

from typing import Final

LANDMARK_NAMES: Final[tuple[str, ...]] = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)
NUM_LANDMARKS: Final[int] = len(LANDMARK_NAMES)
INDEX: Final[dict[str, int]] = {name: i for i, name in enumerate(LANDMARK_NAMES)}


def _mirror(name: str) -> str:
    for a, b in (("left", "right"), ("right", "left")):
        if a in name:
            return name.replace(a, b)
    return name


#: For each landmark, the index of its left/right mirror (itself for the nose).
MIRROR: Final[tuple[int, ...]] = tuple(INDEX[_mirror(n)] for n in LANDMARK_NAMES)

SIDES: Final[tuple[str, str]] = ("left", "right")

#: Skeleton edges for drawing, as pairs of landmark indices.
SKELETON: Final[tuple[tuple[int, int], ...]] = tuple(
    (INDEX[a], INDEX[b])
    for a, b in (
        ("left_shoulder", "right_shoulder"),
        ("left_hip", "right_hip"),
        ("left_shoulder", "left_hip"),
        ("right_shoulder", "right_hip"),
        ("left_shoulder", "left_elbow"),
        ("left_elbow", "left_wrist"),
        ("right_shoulder", "right_elbow"),
        ("right_elbow", "right_wrist"),
        ("left_hip", "left_knee"),
        ("left_knee", "left_ankle"),
        ("left_ankle", "left_heel"),
        ("left_heel", "left_foot_index"),
        ("left_ankle", "left_foot_index"),
        ("right_hip", "right_knee"),
        ("right_knee", "right_ankle"),
        ("right_ankle", "right_heel"),
        ("right_heel", "right_foot_index"),
        ("right_ankle", "right_foot_index"),
        ("nose", "left_ear"),
        ("nose", "right_ear"),
    )
)


def joint(side: str, name: str) -> int:
    """Index of landmark ``{side}_{name}``, e.g. ``joint("left", "knee")``."""
    return INDEX[f"{side}_{name}"]
