"""tagfake's own control surface at /__admin: health, reset, seed, state, journal, faults,
clock and rate limits."""
