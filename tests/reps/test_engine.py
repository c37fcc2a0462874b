"""The repetition engine fed frame by frame with angle curves built in code."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from psoas_coach.config import AnalysisConfig
from psoas_coach.faults.judge import RULES
from psoas_coach.pose.types import FloatArray
from psoas_coach.reps.engine import RepEngine
from psoas_coach.reps.types import Rep

FPS = 30.0


@dataclass(frozen=True)
class Move:
    """One knee excursion: start of the rise (s), rise time, hold time, fall time, peak (deg)."""

    side: str
    t0: float
    rise: float = 1.5
    hold: float = 2.0
    fall: float = 1.5
    peak: float = 175.0
    base: float = 90.0


@dataclass
class Session:
    """Angle curves of both legs; knee excursions added by :meth:`add`."""

    duration: float
    t: FloatArray = field(init=False)
    knee: dict[str, FloatArray] = field(init=False)
    hip: dict[str, FloatArray] = field(init=False)
    pelvis: FloatArray = field(init=False)

    def __post_init__(self) -> None:
        self.t = np.arange(0, self.duration, 1 / FPS)
        self.knee = {s: np.full(self.t.size, 90.0) for s in ("left", "right")}
        self.hip = {s: np.full(self.t.size, 90.0) for s in ("left", "right")}
        self.pelvis = np.zeros(self.t.size)

    def bump(self, t0: float, rise: float, hold: float, fall: float) -> FloatArray:
        """0..1 raised-cosine profile: rise, hold, fall."""
        u = np.clip((self.t - t0) / rise, 0, 1)
        d = np.clip((self.t - t0 - rise - hold) / fall, 0, 1)
        return np.asarray((0.5 - 0.5 * np.cos(np.pi * u)) * (0.5 + 0.5 * np.cos(np.pi * d)))

    def add(self, m: Move) -> Session:
        """Add the excursion ``m`` to its leg's knee and hip (hip opens to 160)."""
        b = self.bump(m.t0, m.rise, m.hold, m.fall)
        self.knee[m.side] = np.where(b > 0, m.base + (m.peak - m.base) * b, self.knee[m.side])
        self.hip[m.side] = 90.0 + 70.0 * b
        return self

    def run(self, config: AnalysisConfig | None = None) -> list[Rep]:
        """Feed every frame to a fresh engine; the repetitions released."""
        engine = RepEngine(config or AnalysisConfig(), judge=RULES)
        reps: list[Rep] = []
        for i, t in enumerate(self.t):
            reps += engine.update(
                float(t),
                {s: float(self.knee[s][i]) for s in self.knee},
                {s: float(self.hip[s][i]) for s in self.hip},
                float(self.pelvis[i]),
            )
        return reps + engine.finish()


def alternating(n: int, **kw: float) -> Session:
    s = Session(8.0 * n + 4)
    for i in range(n):
        s.add(Move("left" if i % 2 == 0 else "right", 2.0 + 8.0 * i, **kw))
    return s


def test_clean_reps_are_found_with_exact_timing() -> None:
    reps = alternating(4).run()
    assert [r.side for r in reps] == ["left", "right", "left", "right"]
    assert [r.index for r in reps] == [1, 2, 3, 4]
    for r in reps:
        assert r.faults == []
        # Raised cosine: 10 % at u=0.205, 90 % at u=0.795 of the rise; hold at >= 90 %.
        assert r.extension_s == pytest.approx(1.5 * (0.795 - 0.205), abs=0.04)
        assert r.hold_s == pytest.approx(2.0 + 2 * 1.5 * 0.205, abs=0.05)
        assert r.knee_angle_peak_deg == pytest.approx(175.0, abs=0.5)
        assert r.excursion_deg == pytest.approx(85.0, abs=0.5)


@pytest.mark.parametrize(
    ("moves", "sides", "faults"),
    [
        pytest.param([Move("left", 2.0, peak=105.0)], [], [], id="twitch-under-25-deg"),
        pytest.param(
            [Move("left", 2.0, base=40.0, peak=75.0)], [], [], id="bent-knee-movement-not-a-march"
        ),
        pytest.param(
            [Move("left", 2.0, peak=125.0)], ["left"], [["incomplete_extension"]], id="incomplete"
        ),
        pytest.param([Move("right", 2.0, hold=1.0)], ["right"], [["short_hold"]], id="short-hold"),
        pytest.param([Move("right", 2.0, hold=4.0)], ["right"], [["long_hold"]], id="long-hold"),
        pytest.param([Move("left", 2.0, rise=0.6)], ["left"], [["fast_extension"]], id="fast"),
        pytest.param(
            [Move("left", 2.0), Move("left", 10.0)],
            ["left", "left"],
            [[], ["same_side_repeat"]],
            id="same-side",
        ),
        pytest.param(
            [Move("left", 2.0, base=120.0)], ["left"], [["start_position"]], id="start-knee-off"
        ),
    ],
)
def test_fault_table(moves: list[Move], sides: list[str], faults: list[list[str]]) -> None:
    session = Session(20.0)
    for m in moves:
        session.add(m)
    if moves and moves[0].base != 90.0:
        session.knee[moves[0].side][session.t < moves[0].t0] = moves[0].base
    reps = session.run()
    assert [r.side for r in reps] == sides
    assert [r.faults for r in reps] == faults


def test_back_lift_and_support_drift() -> None:
    s = alternating(2)
    during = s.bump(2.0, 1.5, 2.5, 1.5)
    s.pelvis = 0.3 * during  # pelvis rises 0.3 thigh during rep 1
    s.knee["left"] = s.knee["left"]
    s.knee["right"] = np.where(s.t < 8.0, 90.0 - 30.0 * during, s.knee["right"])
    reps = s.run()
    assert [r.side for r in reps] == ["left", "right"]
    assert set(reps[0].faults) == {"back_lift", "support_leg_drift"}
    assert reps[0].back_lift_thigh == pytest.approx(0.3, abs=0.01)
    assert reps[0].support_drift_deg == pytest.approx(30.0, abs=0.5)
    assert reps[1].faults == []


def test_both_legs_moving_counts_the_larger_excursion_only() -> None:
    s = Session(14.0).add(Move("left", 2.0))
    s.knee["right"] = 90.0 + 35.0 * s.bump(2.2, 1.5, 2.0, 1.5)  # 35 deg "rep" of the support leg
    reps = s.run()
    assert [r.side for r in reps] == ["left"]
    assert reps[0].faults == ["support_leg_drift"]


def test_both_straight_legs_lowered_together_are_another_exercise() -> None:
    """A leg raise filmed from the side: both legs held up straight (BlazePose reads the knees
    135-140 degrees) are lowered together to the floor (knees 168) and raised again. The
    knee excursion passes every gate of a single leg's movement, but the march starts from
    90/90 and moves one leg: both knees away from 90 moving together is not a repetition."""
    s = Session(14.0)
    lower = s.bump(2.0, 1.5, 2.0, 1.5)
    s.knee["right"] = 135.0 + 33.0 * lower
    s.knee["left"] = 139.0 + 33.0 * lower
    s.hip["right"] = s.hip["left"] = 90.0 + 85.0 * lower
    assert s.run() == []


def test_each_leg_moving_alone_from_straightish_knees_still_counts() -> None:
    """Neither condition alone rejects a movement: the same excursion from 135 degrees with the
    other knee still at 90/90 (a start fault) is a rep, and so is both legs moving together
    from 90/90 (the far leg drawn over the near one)."""
    alone = Session(14.0).add(Move("right", 2.0, base=125.0, peak=170.0))
    assert [r.side for r in alone.run()] == ["right"]
    copied = Session(14.0).add(Move("right", 2.0))
    copied.knee["left"] = 90.0 + 0.9 * (copied.knee["right"] - 90.0)
    assert [r.side for r in copied.run()] == ["right"]


def test_support_leg_returning_from_a_dip_is_not_a_rep() -> None:
    """A support knee that flexes to 55 and comes back to 90 rises 35 deg without a rep."""
    s = Session(30.0).add(Move("right", 2.0)).add(Move("left", 12.0))
    dip = s.bump(2.5, 1.0, 3.5, 1.5)
    s.knee["left"] = np.where(s.t < 10.0, 90.0 - 35.0 * dip, s.knee["left"])
    reps = s.run()
    assert [r.side for r in reps] == ["right", "left"]
    assert reps[1].faults == []


def test_a_held_leg_drawn_bent_for_a_moment_is_one_rep_with_its_whole_hold() -> None:
    """A pose estimator can draw a held leg bent for half a second (the knee angle drops from
    175 to 120 and comes back): a dip in the hold, however deep, neither ends the repetition
    nor starts a new one (docs/definitions.md section 3.7), so the rep keeps the start and
    the hold it has without the dip."""
    clean = Session(14.0).add(Move("left", 2.0, hold=4.0))
    dipped = Session(14.0).add(Move("left", 2.0, hold=4.0))
    glitch = (dipped.t > 5.2) & (dipped.t < 5.7)
    dipped.knee["left"][glitch] = 120.0
    [want] = clean.run()
    [got] = dipped.run()
    assert got.side == "left"
    assert got.start_s == pytest.approx(want.start_s, abs=1e-6)
    assert got.end_s == pytest.approx(want.end_s, abs=1e-6)
    assert got.hold_s == pytest.approx(want.hold_s, abs=1e-6)
    assert want.hold_s is not None and want.hold_s > 3.5


def test_a_spike_before_the_rise_does_not_move_the_onset() -> None:
    """The support knee drifts to 70 during the other leg's rep and comes back to 93; a
    two-frame spike to 140 just after (one movement with it for the engine, and above half of
    the rep's excursion) must not be taken for the middle of the rise: the rep keeps the start,
    hold and start angle it has without the spike."""

    def session(spike: bool) -> Session:
        s = Session(20.0).add(Move("left", 2.0)).add(Move("right", 10.0))
        drift = s.bump(2.5, 1.0, 2.5, 1.0)
        before = s.t < 9.0
        s.knee["right"] = np.where(before, 93.0 - 23.0 * drift, s.knee["right"])
        s.knee["right"] = np.where((s.t >= 9.0) & (s.knee["right"] < 93.0), 93.0, s.knee["right"])
        if spike:
            s.knee["right"][(s.t > 7.2) & (s.t < 7.27)] = 140.0
        return s

    want = [r for r in session(False).run() if r.side == "right"]
    got = [r for r in session(True).run() if r.side == "right"]
    assert len(want) == len(got) == 1
    assert got[0].start_s == pytest.approx(want[0].start_s, abs=1e-6)
    assert got[0].hold_s == pytest.approx(want[0].hold_s, abs=1e-6)
    assert got[0].knee_angle_start_deg == pytest.approx(want[0].knee_angle_start_deg, abs=1e-6)


def test_a_leg_that_settles_up_and_rises_again_before_coming_back_is_one_rep() -> None:
    """The knee rises to 125, settles at 115 (a pose estimator reading a held far leg short)
    and rises to 140 just before coming back to 90: the knee never came back in between, so
    it is one excursion from the first rise (docs/definitions.md section 3.5), not a movement
    from the plateau, which alone would be too small to count."""
    s = Session(12.0)
    knee = np.interp(s.t, [0, 2, 3, 3.5, 5.0, 5.3, 6.0, 12], [90, 90, 125, 115, 115, 140, 90, 90])
    s.knee["left"] = knee
    [rep] = s.run()
    assert rep.side == "left"
    assert rep.start_s == pytest.approx(2.0 + 0.1 * 50 / 35, abs=0.05)  # 10 % of 90 -> 140
    assert rep.end_s == pytest.approx(5.3 + 0.9 * 0.7, abs=0.05)
    assert rep.knee_angle_start_deg == pytest.approx(90.0, abs=0.5)


def test_tracking_gap_inside_a_rep_keeps_the_rep() -> None:
    s = alternating(2)
    gap = (s.t > 4.0) & (s.t < 4.6)
    for side in ("left", "right"):
        s.knee[side][gap] = np.nan
        s.hip[side][gap] = np.nan
    reps = s.run()
    assert [r.side for r in reps] == ["left", "right"]


def test_counters_and_reset() -> None:
    engine = RepEngine(judge=RULES)
    s = alternating(2)
    for i, t in enumerate(s.t):
        engine.update(
            float(t),
            {k: float(v[i]) for k, v in s.knee.items()},
            {k: float(v[i]) for k, v in s.hip.items()},
            0.0,
        )
    engine.finish()
    assert engine.counts == {"left": 1, "right": 1}
    engine.reset()
    assert engine.counts == {"left": 0, "right": 0}
    assert engine.reps == ()


def test_thresholds_come_from_the_configuration() -> None:
    reps = Session(14.0).add(Move("left", 2.0, hold=4.0)).run(AnalysisConfig(max_hold_s=5.0))
    assert reps[0].faults == []
