"""Operator commands for platform administration."""
