"""Psoas Coach: a coach for the supine banded psoas march.

The pipeline, one folder per stage: ``source`` (videos, keypoint CSVs) → ``pose`` (the estimator
and the one pose type) → ``kinematics`` (clean-up, swap correction, joint angles) → ``reps``
(the per-frame repetition engine) → ``faults`` (registered fault rules and cues) → ``report``
(report model, HTML, annotated video). ``cli`` and ``synth`` sit around it.
"""

__version__ = "0.1.0"
