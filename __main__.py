"""The Pulumi program: not wired up yet (see README "Status"). It registers nothing."""
raise SystemExit("pca-import: the Pulumi hierarchy program is not implemented yet; use the `pca-import` CLI")
