"""Read-only reporting over the other packages: royalty, film-to-commerce, audit.

The only package that reads across orders and licensing; nothing below imports it."""
