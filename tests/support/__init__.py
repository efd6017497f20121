"""Test support shared by both halves: sample answers, loopback servers, callback and X media
helpers, and the fixtures that ``tests/conftest.py`` registers."""
