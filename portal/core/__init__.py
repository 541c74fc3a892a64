"""What every part of the portal builds on and that knows nothing of the web: the types of
stored objects' fields."""
