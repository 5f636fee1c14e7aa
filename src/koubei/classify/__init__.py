"""Classifiers: the estimators that read topics, polarity, sentiment and taste direction from clauses."""
