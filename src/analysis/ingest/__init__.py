"""Stage 1, ingest: raw exports (SPSS, Stata, CSV, XLSX; XLSForm labels) read as
`RawTable`s, and the new-country scaffold that drafts a config from them
(`readers.read_source`, `scaffold.draft_country_config`)."""
