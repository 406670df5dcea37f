"""E-mail to shoppers: SMTP, addresses, rendering, and the local sink's mailbox."""
