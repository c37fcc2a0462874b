"""Tests of psoas_coach.web (API, pages, worker) and of `psoas serve`."""
