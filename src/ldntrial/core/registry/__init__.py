"""Learning across patients: per-patient summaries, the flow of every started trial, pooled and
dose/timing comparisons per stratum, small-cell suppression and federated pooling across sites."""
