"""Fault tickets, SLA clocks, delivery promises and reservations of parts."""
