"""The solving wing: the orchestrator (build, solve, money repair, honest status), the HiGHS adapter
with its core search, and the Lagrangian bound of large lists.
"""
