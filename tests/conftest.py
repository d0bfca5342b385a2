"""Test-suite settings shared by every test module."""

from hypothesis import settings

# Property tests draw the same examples on every run and keep no example database, so a
# run on one machine cannot fail because of what an earlier run on another one found.
settings.register_profile("deterministic", derandomize=True, database=None, deadline=None)
settings.load_profile("deterministic")
