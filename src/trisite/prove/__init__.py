"""prove stage."""
