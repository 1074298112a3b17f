"""Runtime core of the 12345 hotline platform: the event contract, privacy, the working-day
calendar, event rows, storage, the web layer and settings.

The three services (`services.ingest`, `services.aggregate`, `services.api`) import from here;
nothing in here imports from them or from the tooling (`tooling`, `bench`). Checked by
import-linter (`[tool.importlinter]` in pyproject.toml).
"""
