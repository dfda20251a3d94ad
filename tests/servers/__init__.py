"""Real servers started by the tests themselves (PostgreSQL for the team library)."""
