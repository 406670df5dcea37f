"""Read-only reporting over the other packages: royalty, film-to-commerce, the label audit,
and the figures of the staff agreement pages.

The only package that reads across orders and licensing; nothing below imports it."""
