"""Compiler passes: each is a function Graph -> Graph."""
