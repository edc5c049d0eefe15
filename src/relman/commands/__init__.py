"""Command-line commands, one module per group; loaded only when used."""
