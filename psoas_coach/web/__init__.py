"""The coach dashboard: a FastAPI app (``app.create_app``) with a JSON API (``api/``), server-
rendered pages (``pages/``, ``templates/``, ``static/``) and the background analysis worker
(``worker``, ``runner``). Storage (tables, migrations, files) is :mod:`psoas_coach.storage`."""
