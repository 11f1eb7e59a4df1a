"""Back-office helpers: its start page, middleware, error page, login lockout, staff groups, labels, static files."""
