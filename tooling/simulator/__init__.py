"""The city-year event simulator (hotline simulate)."""
