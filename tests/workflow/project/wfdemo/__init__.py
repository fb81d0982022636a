"""Tasks and workflows the workflow tests run both as Python and as compiled state machines."""
