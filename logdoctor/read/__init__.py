"""Step 1, read: bytes from a file, a pipe or a stream become clean numbered lines."""
