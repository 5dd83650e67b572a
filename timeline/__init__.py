"""timeline: an event-sourced industry timeline and alerting service.

The public surface is the CLI (`timeline.cli`) and the composition root
(`timeline.bootstrap.bootstrap`); everything else is internal and may change.
"""

__version__ = "0.1.0"
