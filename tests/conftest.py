"""Hypothesis draws the same examples on every run unless SRCDIFF_HYPOTHESIS_RANDOM is set.

A test run (CI's above all) must not fail on a program no earlier run drew: new programs
are explored on purpose, with SRCDIFF_HYPOTHESIS_RANDOM=1, the SRCDIFF_FUZZ_* batches and
python -m tests.random.fuzz_survey, and what they find is kept as a regression test."""
import os

from hypothesis import settings

settings.register_profile("srcdiff", derandomize=not os.environ.get("SRCDIFF_HYPOTHESIS_RANDOM"))
settings.load_profile("srcdiff")
