"""The weekly and monthly brief (周报、月报) and the department assessment (部门考核): pure figures
from rows the briefing module reads (services/api/briefing.py); docs/briefs.md defines them."""
