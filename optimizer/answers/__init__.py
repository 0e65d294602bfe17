"""The answers wing: strategies over the built program. The question as one value and its answer, the
diagnosis, the roadmap, prices, the frontier and the comparators, alternatives, cut-first,
uncertainty and the robust pick, sweeps.
"""
