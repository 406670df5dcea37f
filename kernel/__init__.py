"""The ground floor: configuration, database, money, periods, errors, clocks, the outbox.

Nothing here imports any other tiein package."""
