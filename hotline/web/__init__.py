"""HTTP pieces every FastAPI service of the platform shares (problem details, last resort)."""
