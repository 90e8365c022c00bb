"""Email the product sends: templates shipped in the package (plain text + HTML) and their rendering.

Sending is ``a2n.adapters.mailer`` (SES); queueing and delivery are ``a2n.services.mail``.
"""
