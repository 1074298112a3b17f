"""The alerts service's integration tests run on the session's stack (tests/conftest.py), each in
an isolated database and set of topics with services of its own (alerts_support.Isolated)."""
