"""lz's runtime entry: what Lambda starts inside the execution environment.

`bootstrap` (started by the bundle's exec wrapper, `wrapper.py`) loads the handler and runs `loop`,
lz's own client of the Lambda Runtime API (`client`), which can also send streamed responses
(`stream`). Standard library only; nothing is imported here, so `import lz.runtime` costs nothing.
"""
