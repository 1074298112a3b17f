"""The platform's three services. Each owns its settings class and its adapters."""
