"""Bottom layer: source text, positions, the parsed Dockerfile, shell commands, pragmas, finding types."""
