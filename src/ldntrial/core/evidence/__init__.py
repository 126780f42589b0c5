"""The evidence on LDN: study records, the certainty of evidence, and summaries per condition."""
