"""Statistics for "is it working?": the AR(1) grid-Bayes model and its application to a trial."""
