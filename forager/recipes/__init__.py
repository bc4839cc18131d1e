"""Stage 0: recipes without an expert. `inference/` reads a repository's own files (never running
its code) and proposes candidate recipes; the validator of Stage 1 judges them."""
