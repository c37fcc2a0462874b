"""Tests of psoas_coach.storage."""
