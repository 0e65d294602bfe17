"""The outputs wing: workbooks and CSVs, the run record and rerun, the meeting pack.
"""
