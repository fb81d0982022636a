"""The deploy engine: desired model (models) -> what exists (each resource kind reads it) -> plan
(a list of plain-data steps, printable) -> apply (runs the steps in order).

AWS is the state: every resource has a deterministic name (PROJECT-STAGE) and the lz:project /
lz:stage tags, so a later run finds what an earlier, interrupted one left, and converges.
"""
