"""Detection: emerging complaint issues, tracing, new kinds of complaint, issue history."""
