"""Benchmarks and the data they run on: not part of the service, and not packaged in the wheel.

Each module runs as ``python -m bench.<module>`` and prints its figures beside a baseline of the same run:

* `stock`: availability of a part across depots, and a 1,000-unit receipt;
* `reservations`: reservations through the API against the same transaction with the driver;
* `audit`: the audit chain's cost on the bare transaction, and verifying 1,000,000 entries;
* `routing_solvers`: solver quality on the Solomon VRPTW instances;
* `routing_nbd`: a next-business-day plan at regional scale;
* `routing_scale`: urgent insertion against a re-solve, and engineer dispatch;
* `routing_dispatch`: one engineer dispatch solve;
* `dispatch_vs_vroom`: engineer dispatch quality against VROOM on five such days.

Helpers: `scale_data` generates national-scale stock, `solomon` reads the Solomon instances. The
service's packages never import this one. The current figures are in ``docs/benchmarks.md``.
"""
