"""Fault injectors for tests: real servers that misbehave on purpose (named as fakes)."""
