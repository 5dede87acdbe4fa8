"""Stage 4, survey statistics: the `Design` (design.py), the design passes and linearised variance
(domains.py), estimates and shifts between waves, and the interval and test functions they use."""
