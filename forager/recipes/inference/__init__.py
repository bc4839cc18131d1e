"""Reading a repository's packaging, test and CI files into Evidence, and Evidence into ranked
candidate recipes. Every reader is a pure function of file contents, so each has fast unit tests."""
