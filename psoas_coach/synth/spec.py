"""What a synthetic recording looks like: :class:`SynthSpec`, and :func:`random_spec` to draw one.

``random_spec(seed)`` draws the variety of the public devset (adult-heavy bodies, 25-60 fps,
moderate noise, a few dropouts and left/right swaps); ``hard=True`` widens it towards the
unpublished set: children to tall adults, stronger noise (up to about twice the devset's),
variable frame rate, stronger camera roll, more and longer dropouts and swaps, weaker far-side
visibility, hidden stretches of the far leg, missing depth, more twitches.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from psoas_coach.pose.landmarks import SIDES
from psoas_coach.synth.motion import PROFILES

FRAME_SIZES: tuple[tuple[int, int], ...] = (
    (640, 480),
    (854, 480),
    (960, 540),
    (1280, 720),
    (1920, 1080),
)
FRAME_RATES: tuple[float, ...] = (24.0, 25.0, 30.0, 50.0, 60.0)


@dataclass(frozen=True)
class FaultRates:
    """Per-repetition probability of each injected fault (``twitch``: per rest between reps).

    ``near_miss`` is the chance of a visible but sub-threshold back lift or support-leg drift;
    ``twitch_max_deg`` the largest twitch amplitude (kept well under the 25 deg of a repetition).
    """

    short_hold: float = 0.1
    long_hold: float = 0.1
    fast_extension: float = 0.1
    incomplete_extension: float = 0.08
    back_lift: float = 0.1
    support_leg_drift: float = 0.08
    start_position: float = 0.08
    same_side_repeat: float = 0.08
    twitch: float = 0.15
    near_miss: float = 0.15
    twitch_max_deg: float = 15.0


@dataclass(frozen=True)
class SynthSpec:
    """Every knob of one synthetic recording. Units are in the names; sides are athlete sides.

    Attributes:
        seed: seed of everything random in :func:`psoas_coach.synth.generator.generate`.
        n_reps: number of repetitions.
        height_m: body height in metres (segment lengths scale with it).
        fps: nominal frame rate, frames per second.
        frame_jitter: relative jitter of frame intervals (0 = constant frame rate).
        width, height: frame size in pixels.
        head_dir: ``left`` or ``right``: where the head is in the picture.
        near_side: ``left`` or ``right``: the athlete's side facing the camera.
        roll_deg: camera roll, degrees (positive = counter-clockwise on screen).
        fill: share of the frame width the body's motion extent covers.
        rest_knee_deg, rest_hip_deg: resting (left, right) angles, degrees (90 = 90/90).
        profile: ``minjerk``, ``cosine`` or ``mixed`` (each rep draws one).
        rest_s: range of rest between repetitions, seconds.
        faults: injection rates.
        tremor_deg: amplitude of the continuous joint tremor, degrees.
        noise_scale: landmark noise sigma in pixels per 1000 px of frame width.
        outlier_rate: chance per landmark and frame of a jump away from the true position.
        dropouts_per_min, dropout_max_s: runs of empty frames (no person): rate and longest run.
        swaps_per_min, swap_max_s: runs of left/right label swaps: rate and longest run.
        vis_near, vis_far: mean visibility of the near and far side's landmarks.
        vis_noise: standard deviation of visibility around those means.
        z_empty: leave MediaPipe depth empty.
        shake_px: amplitude of slow camera shake, pixels.
        hard: drawn from the wider variety; also seeds the random streams, so a hard and a
            devset-like recording of the same seed differ in motion too.
        occlusions_per_min: stretches (0.5-2 s) where the far leg is half hidden: low visibility
            and three times the noise on its knee, ankle and foot.
        swap_min_s: shortest left/right swap run, seconds (0: a single frame).
        drawn_over_per_min, drawn_over_max_s: stretches (0.2 s to the maximum) where the far
            leg's knee, ankle and foot are drawn on the near leg's, at lower visibility,
            wherever the far leg really is (a hidden far leg as BlazePose draws it).
        drift_px: amplitude of slow drift of every landmark on its own, pixels.
        sideview: drawn from the side-view variety (:func:`random_spec` ``sideview=True``).
    """

    seed: int = 0
    n_reps: int = 8
    height_m: float = 1.70
    fps: float = 30.0
    frame_jitter: float = 0.0
    width: int = 1280
    height: int = 720
    head_dir: str = "left"
    near_side: str = "right"
    roll_deg: float = 0.0
    fill: float = 0.6
    rest_knee_deg: tuple[float, float] = (90.0, 90.0)
    rest_hip_deg: tuple[float, float] = (90.0, 90.0)
    profile: str = "mixed"
    rest_s: tuple[float, float] = (1.5, 4.0)
    faults: FaultRates = field(default_factory=FaultRates)
    tremor_deg: float = 0.3
    noise_scale: float = 2.0
    outlier_rate: float = 0.0003
    dropouts_per_min: float = 3.0
    dropout_max_s: float = 0.4
    swaps_per_min: float = 2.0
    swap_max_s: float = 0.25
    vis_near: float = 0.93
    vis_far: float = 0.68
    vis_noise: float = 0.035
    z_empty: bool = False
    shake_px: float = 0.0
    occlusions_per_min: float = 0.0
    swap_min_s: float = 0.0
    drawn_over_per_min: float = 0.0
    drawn_over_max_s: float = 1.5
    drift_px: float = 0.0
    hard: bool = False
    sideview: bool = False

    def __post_init__(self) -> None:
        choices = {"head_dir": SIDES, "near_side": SIDES, "profile": (*PROFILES, "mixed")}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"SynthSpec.{name}: expected one of {allowed}, found {getattr(self, name)!r}"
                )
        positive = {
            "n_reps": self.n_reps,
            "height_m": self.height_m,
            "fps": self.fps,
            "width": self.width,
            "height": self.height,
            "fill": self.fill,
        }
        for name, value in positive.items():
            if value <= 0:
                raise ValueError(f"SynthSpec.{name}: expected a positive value, found {value!r}")
        if not 0.0 <= self.frame_jitter < 0.5:
            raise ValueError(
                f"SynthSpec.frame_jitter: expected [0, 0.5), found {self.frame_jitter!r}"
            )


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _pick(rng: np.random.Generator, options: tuple[str, str]) -> str:
    return options[int(rng.integers(len(options)))]


def _rest_angle(rng: np.random.Generator, habit: float) -> float:
    """A resting angle: 90 with a small individual offset, or (chance ``habit``) far off 90."""
    if rng.random() < habit:
        return 90.0 + float(rng.choice([-1.0, 1.0])) * _u(rng, 26.0, 30.0)
    return 90.0 + _u(rng, -8.0, 8.0)


def _height(rng: np.random.Generator, hard: bool) -> float:
    if rng.random() < (0.3 if hard else 0.1):
        return round(_u(rng, 1.1, 1.5), 2)
    return round(_u(rng, 1.45, 2.0), 2)


def _noise_scale(rng: np.random.Generator, fill: float, hard: bool) -> float:
    """Pixel noise per 1000 px of width: 0.8-3.3 (devset), up to 6.5 when ``hard``.

    Capped so the noise stays under 2 % (devset) or 3.6 % (hard) of the thigh length, which is
    about ``0.23 * fill * width`` pixels.
    """
    drawn = _u(rng, 0.8, 6.5) if hard else _u(rng, 0.8, 3.3)
    return min(drawn, (0.036 if hard else 0.02) * 230.0 * fill)


def random_spec(seed: int, *, hard: bool = False, sideview: bool = False) -> SynthSpec:
    """Draw a varied :class:`SynthSpec`: devset-like, the wider ``hard`` variety, or the
    ``sideview`` variety (what a real side camera does to BlazePose, see
    :func:`sideview_spec`)."""
    if sideview:
        return sideview_spec(seed)
    rng = np.random.default_rng([seed, 1 if hard else 0, 20240531])
    sizes = FRAME_SIZES if hard else FRAME_SIZES[2:]
    width, height = sizes[int(rng.integers(len(sizes)))]
    habit = 0.08 if hard else 0.0
    fill = _u(rng, 0.35, 0.9) if hard else _u(rng, 0.45, 0.8)
    return SynthSpec(
        seed=seed,
        n_reps=int(rng.integers(4, 13)),
        height_m=_height(rng, hard),
        fps=float(rng.choice(FRAME_RATES)),
        frame_jitter=_u(rng, 0.05, 0.3) if hard and rng.random() < 0.4 else 0.0,
        width=width,
        height=height,
        head_dir=_pick(rng, SIDES),
        near_side=_pick(rng, SIDES),
        roll_deg=_u(rng, -10.0, 10.0) if hard else _u(rng, -3.0, 3.0),
        fill=fill,
        rest_knee_deg=(_rest_angle(rng, habit), _rest_angle(rng, habit)),
        rest_hip_deg=(_rest_angle(rng, 0.0), _rest_angle(rng, 0.0)),
        profile="mixed",
        rest_s=(1.2, 4.0) if hard else (1.5, 4.0),
        faults=FaultRates(twitch=0.3, twitch_max_deg=18.0) if hard else FaultRates(),
        tremor_deg=_u(rng, 0.1, 0.6),
        noise_scale=_noise_scale(rng, fill, hard),
        outlier_rate=_u(rng, 0.0005, 0.003) if hard else _u(rng, 0.0, 0.0005),
        dropouts_per_min=_u(rng, 3.0, 12.0) if hard else _u(rng, 1.0, 5.0),
        dropout_max_s=_u(rng, 0.3, 0.8) if hard else 0.4,
        swaps_per_min=_u(rng, 3.0, 10.0) if hard else _u(rng, 0.0, 4.0),
        swap_max_s=_u(rng, 0.2, 0.5) if hard else 0.27,
        vis_near=_u(rng, 0.85, 0.95) if hard else 0.93,
        vis_far=_u(rng, 0.4, 0.72) if hard else 0.68,
        vis_noise=_u(rng, 0.03, 0.08) if hard else 0.035,
        z_empty=bool(rng.random() < (0.3 if hard else 0.1)),
        shake_px=_u(rng, 0.0, 8.0) if hard else _u(rng, 0.0, 1.5),
        occlusions_per_min=_u(rng, 0.0, 3.0) if hard else 0.0,
        hard=hard,
    )


def sideview_spec(seed: int) -> SynthSpec:
    """The side-view variety: the ``hard`` bodies and faults with what a single side camera
    does to BlazePose.

    Whole-body left/right swaps of 0.3-3 s (with their depth and visibility), the far leg drawn
    on the near one for 0.2-1.5 s at a time, jitter up to 5 % of the thigh, slow drift, camera
    roll up to 15 degrees, portrait frames, rests up to 6 s, and now and then no depth at all.
    """
    base = random_spec(seed, hard=True)
    rng = np.random.default_rng([seed, 2, 20261202])
    sizes = (*FRAME_SIZES, (720, 1280), (1080, 1920))
    width, height = sizes[int(rng.integers(len(sizes)))]
    fill = _u(rng, 0.4, 0.9) if width > height else _u(rng, 0.75, 0.95)
    thigh_px = 0.23 * fill * width
    return replace(
        base,
        seed=seed,
        width=width,
        height=height,
        fill=fill,
        roll_deg=_u(rng, -15.0, 15.0),
        rest_s=(1.2, 6.0),
        noise_scale=_u(rng, 0.005, 0.05) * thigh_px * 1000.0 / width,
        swaps_per_min=_u(rng, 1.0, 6.0),
        swap_min_s=0.3,
        swap_max_s=3.0,
        drawn_over_per_min=_u(rng, 1.0, 5.0),
        drawn_over_max_s=1.5,
        occlusions_per_min=0.0,
        vis_far=_u(rng, 0.55, 0.78),
        z_empty=bool(rng.random() < 0.15),
        drift_px=_u(rng, 0.0, 0.04) * thigh_px,
        sideview=True,
    )
