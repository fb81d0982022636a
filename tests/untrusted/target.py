"""A module no test imports on purpose: hostile events name it, and the tests check it stays
unimported (an import would already run code an invoker chose)."""

RAN: list = []


def pwn(*args, **kwargs):
    RAN.append((args, kwargs))
    return "pwned"
