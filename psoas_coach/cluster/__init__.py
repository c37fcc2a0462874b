"""Analysis scaled out on a Ray cluster: ``psoas batch`` and the dashboard's ``--ray`` jobs.

One Ray task analyses one whole video (pose tracking needs the frames in order) on one core.

- :mod:`~psoas_coach.cluster.inputs`: what to analyse (files, folders, CSV manifests) and the
  skip key of each input (content hash, analysis version, settings).
- :mod:`~psoas_coach.cluster.index`: ``batch.json``, the index of a batch's outcomes.
- :mod:`~psoas_coach.cluster.tasks`: the work a task does on a worker (no Ray import): analyse
  into a private staging folder, then move the finished files into place.
- :mod:`~psoas_coach.cluster.engine`: the only module that imports Ray (lazily): start a local
  Ray or connect to a cluster, submit tasks, wait for them.
- :mod:`~psoas_coach.cluster.batch`: a batch run: skip what is done, submit the rest, record
  every outcome as it comes, stop cleanly on Ctrl-C.
- :mod:`~psoas_coach.cluster.jobs`: a dashboard job run as a Ray task.
"""
