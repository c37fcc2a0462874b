"""The layout of the repetition engine's signal history rows (the ring itself is
:class:`~psoas_coach.kinematics.buffers.SignalHistory`)."""

from __future__ import annotations

#: Columns of a history row: knee and hip angles (deg), pelvis height (thigh lengths), whether
#: each leg was seen (1/0) and the confidence in the frame's leg labels (0-1).
KNEE = {"left": 0, "right": 1}
HIP = {"left": 2, "right": 3}
PELVIS = 4
SEEN = {"left": 5, "right": 6}
IDENTITY = 7
ROW_WIDTH = 8
