"""Storage backends behind one protocol: in-memory and SQL (SQLite, PostgreSQL)."""
