"""`lz tail`: read the function's CloudWatch log group (fetch.py) and fold Lambda's platform lines
into the lines a person wants to read (fold.py)."""
