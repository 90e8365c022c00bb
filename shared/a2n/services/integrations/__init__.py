"""Integration packages as use cases: installs and what runs, the marketplace, app triggers,
node templates and the OAuth2 connect flow."""
