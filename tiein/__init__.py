"""tiein: film IP licensing, a ticket-plus-merch storefront and a royalty ledger."""
