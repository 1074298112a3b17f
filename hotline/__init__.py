"""Shared core of the 12345 hotline platform: contract, settings, storage and the local stack.

The three services (`services.ingest`, `services.aggregate`, `services.api`) import from here;
nothing in here imports from them.
"""
