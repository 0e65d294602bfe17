"""The data wing: the contract (one table per column family), reading, parsing and checking uploads,
the isolated reader, the dataset and its versions, the instance as arrays, the plant accounting,
economics and the shipped defaults. Imports nothing above it.
"""
