"""Running a repository's tests in a container and reading per-test results from JUnit XML."""
