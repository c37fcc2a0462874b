"""Storage of the dashboard: tables (``models``), database connection and migrations (``db``,
``migrations/``), database functions (``crud``) and the files under the data directory
(``files``)."""
