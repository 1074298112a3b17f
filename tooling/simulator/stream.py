"""The item every simulator stage passes on: (event time as epoch ms, structured-mode CloudEvent).

Generators yield them in non-decreasing time order; fault injection may break that order on purpose.
"""

Timed = tuple[int, dict]
