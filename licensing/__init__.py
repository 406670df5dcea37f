"""Merchants, agreements and the sellable rule, approvals, the royalty ledger, statements,
licensee sales reports, authenticity labels."""
