"""Leaving and taking a break: cancellation (with reasons, a retention offer and undo) and
pausing payments."""
