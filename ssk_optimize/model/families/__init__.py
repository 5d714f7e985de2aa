"""Constraint families of the funding LP, one function each (domain.md section 4)."""
