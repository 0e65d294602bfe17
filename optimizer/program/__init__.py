"""The program wing: one integer program over years. The horizon and when each project can be in
service, closures by order, the rules of the list and the plans written once (model), the target
kinds (kinds/, one module each), the build, the scenario blocks, and each target as it stands in a
year.
"""
