"""Stage 2, cleaning: codebook conversion, exclusions, derivations, checks, free-text policy and row
accounting, from raw tables to processed data (`clean.clean_dataset`)."""
