"""One module per event source; each exposes SOURCE, an object with the Source protocol."""
