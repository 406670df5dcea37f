"""Reporting over the other packages: royalty, film-to-commerce, the label audit, campaigns,
the demand forecast, the statement document, and the figures of the staff pages. Reads only,
but for the precomputed co-purchases behind the recommendations (`recommendations`).

The only package that reads across orders and licensing; nothing below imports it."""
