"""Safety screening before LDN: medicine text, the vocabulary and catalogue, matching, rules."""
