"""Running lz apps locally through the same event path Lambda uses."""
