"""Deploying a stage through CloudFormation (`lz deploy --engine cloudformation`): the stack made
from `lz template`'s template, change sets shown as lz's plan, stack events followed (engine.py,
changes.py), and the S3 notifications a template cannot hold (buckets.py)."""
