"""Acceptance checks: the delivered reality (read through the drivers) compared with the design, category by
category (cabling, links, bmcs, routing, flows). Each category module has a pure `compare` (observations in,
checks out) and a `read` that gathers the observations through a target's drivers."""
