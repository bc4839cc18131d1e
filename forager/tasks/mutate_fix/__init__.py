"""mutate-fix tasks: seed a bug into covered code, keep it when the suite catches it."""
