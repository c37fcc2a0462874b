"""Live coaching: one streaming engine shared by the desktop window and the browser page.

Frames in (camera or a file played as one) → pose per frame (tracking mode) → causal clean-up
→ the same repetition engine and fault rules as the offline analysis → coaching events out.
:class:`~psoas_coach.live.analyzer.LiveAnalyzer` is the part after pose (it can be fed from
keypoints alone); :class:`~psoas_coach.live.engine.LiveEngine` adds the pose estimator.
"""
