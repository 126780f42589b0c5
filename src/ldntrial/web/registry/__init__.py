"""The registry in the web app: the clinic's started trials as patient summaries, pseudonyms,
the de-identified export and this site's signed summary bundle (docs/decisions/0029, 0030)."""
