"""Imports from the original 0voice servers (`tuchuang import`)."""
