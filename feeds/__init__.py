"""From the outside world to proposals: fetch, parse, identify, extract, import documents.

`feeds` may import `timeline`'s domain types; `timeline` never imports `feeds` except in its
composition root.
"""
