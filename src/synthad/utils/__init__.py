"""Small shared utilities: atomic file output, seeding, device selection."""
