"""Imports fine but has no `application`: the start-up failure test needs that reported."""

something_else = 42
