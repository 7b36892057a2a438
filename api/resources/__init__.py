"""One blueprint per resource of API.md."""
