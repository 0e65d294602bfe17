"""The command line: one front end among others (``python -m optimizer``). Only its backup commands use
the store.
"""
