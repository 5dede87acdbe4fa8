"""Stage 3, tables: the configured crosstabs (`crosstab.figure_table`), small-cell
suppression and the half-up rounding shared by every displayed percent."""
