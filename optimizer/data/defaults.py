"""Defaults the command line needs before anything heavy is imported (it starts in well under a second)."""

#: Real discount rate used unless the user sets another (8 % is common in Chinese feasibility studies).
DEFAULT_DISCOUNT_RATE = 0.08
#: The plans run to 2030: the last year of a roadmap unless the user sets another.
DEFAULT_LAST_YEAR = 2030
