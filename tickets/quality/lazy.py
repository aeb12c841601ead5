"""`lazy`: an attribute computed on first use and then kept, like functools.cached_property
without the lock Python 3.11 takes on every first access (a checked ticket has a dozen of
them and is never shared between threads)."""


class lazy:
    def __init__(self, compute):
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        # Stored on the instance, which shadows this (non-data) descriptor from now on.
        value = instance.__dict__[self.name] = self.compute(instance)
        return value
