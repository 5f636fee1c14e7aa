"""Detection: emerging complaint issues, tracing, new kinds of complaint.

A run with a store records its issues in the issue store (:mod:`koubei.store`).
"""
