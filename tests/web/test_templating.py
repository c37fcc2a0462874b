"""Template pieces shown on several pages: a flag list shows the first three flags and folds
the rest behind "N more"; each named settings choice knows which option the overrides hold."""

from __future__ import annotations

import re

import pytest

from psoas_coach.web.choices import CHOICES, choice_overrides
from psoas_coach.web.templating import templates


def flag_html(flags: list[str]) -> str:
    macro = '{% from "_macros.html" import flag_list %}{{ flag_list(flags) }}'
    return templates.env.from_string(macro).render(flags=flags)


@pytest.mark.parametrize(("count", "folded"), [(1, 0), (3, 0), (4, 1), (7, 4)])
def test_three_flags_show_and_the_rest_fold(count: int, folded: int) -> None:
    flags = [f"flag {k}" for k in range(count)]
    html = flag_html(flags)
    shown, _, more = html.partition("<details")
    assert re.findall(r'class="flag">([^<]+)<', shown) == flags[:3]
    if folded:
        assert f"<summary>{folded} more</summary>" in more
        assert re.findall(r'class="flag">([^<]+)<', more) == flags[3:]
    else:
        assert more == ""


@pytest.mark.parametrize(
    ("overrides", "hold", "custom"),
    [
        ({}, "", False),
        ({"min_hold_s": 3.0, "max_hold_s": 5.0}, "3-5 s (strength)", False),
        ({"min_hold_s": 2.5}, "", True),
        ({"min_visibility": 0.3}, "", False),
    ],
)
def test_a_choice_reads_its_option_from_the_overrides(
    overrides: dict[str, float], hold: str, custom: bool
) -> None:
    (choice,) = [c for c in CHOICES if c.key == "hold"]
    assert choice.selected(overrides) == hold
    assert choice.custom(overrides) is custom


def test_choice_overrides() -> None:
    chosen = choice_overrides({"choice_back": "strict", "choice_hold": "", "other": "x"})
    assert chosen == {"max_back_lift_thigh": 0.08}
    with pytest.raises(ValueError, match="how slow the push-out: 'fast' is not one"):
        choice_overrides({"choice_tempo": "fast"})
